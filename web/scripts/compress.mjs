// Writes FILE.gz beside every compressible file of the built console (the host sends it when the
// browser accepts gzip). Usage: node scripts/compress.mjs [DIR] (default: dist).
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, constants } from 'node:zlib';

const root = process.argv[2] ?? 'dist';
const COMPRESSIBLE = /\.(html|js|mjs|css|svg|json|txt|map)$/;
let count = 0;

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      walk(path);
    } else if (COMPRESSIBLE.test(name)) {
      const data = readFileSync(path);
      const gz = gzipSync(data, { level: constants.Z_BEST_COMPRESSION });
      // Only when it is smaller: a .gz that saves nothing is not worth a second file.
      if (gz.length < data.length) {
        writeFileSync(`${path}.gz`, gz);
        count++;
      }
    }
  }
}
walk(root);
console.log(`compress: wrote ${count} .gz files under ${root}`);
