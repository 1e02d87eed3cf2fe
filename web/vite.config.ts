// Builds the console into static files the host serves (server.console_dir). The CMake build
// passes --outDir <build>/share/forgelink/console. Hashed names under assets/ (cached for a year
// by the host), no inline scripts or styles (the host's CSP allows 'self' only).
/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // The module-preload polyfill would be an inline script; every supported browser has it natively.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    target: 'es2020',
  },
  server: {
    // `npm run dev` against a running host: FORGELINK_URL=http://127.0.0.1:8080 npm run dev
    proxy: Object.fromEntries(
      ['/api', '/auth', '/healthz'].map((p) => [p, { target: process.env.FORGELINK_URL ?? 'http://127.0.0.1:8080' }]),
    ),
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.{ts,tsx}'],
  },
});
