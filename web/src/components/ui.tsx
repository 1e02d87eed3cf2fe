// Small building blocks every page uses: labelled fields with their error, alerts, progress.
import { useEffect, useId, useRef, useState, type ReactNode, type InputHTMLAttributes, type Ref, type SelectHTMLAttributes } from 'react';
import { ApiError } from '../lib/api';
import { causesOfError, missingScopes } from '../lib/errors';
import { sentence } from '../lib/format';

interface FieldProps extends InputHTMLAttributes<HTMLInputElement> {
  ref?: Ref<HTMLInputElement>;
  label: string;
  hint?: ReactNode;
  error?: ReactNode;
}

export function Field({ label, hint, error, id, ...input }: FieldProps) {
  const auto = useId();
  const inputId = id ?? auto;
  const hintId = `${inputId}-hint`;
  const errorId = `${inputId}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={error ? 'field field-invalid' : 'field'}>
      <label htmlFor={inputId}>{label}</label>
      <input id={inputId} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...input} />
      {hint && (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      )}
      {error && (
        <div className="field-error" id={errorId} role="alert">
          {error}
        </div>
      )}
    </div>
  );
}

interface SelectProps extends SelectHTMLAttributes<HTMLSelectElement> {
  label: string;
  children: ReactNode;
}

export function SelectField({ label, id, children, ...select }: SelectProps) {
  const auto = useId();
  const selectId = id ?? auto;
  return (
    <div className="field">
      <label htmlFor={selectId}>{label}</label>
      <select id={selectId} {...select}>
        {children}
      </select>
    </div>
  );
}

/** An API error as sentences: each cause with its fix (a link when the fix is a URL). */
export function ErrorText({ error }: { error: unknown }) {
  if (error instanceof ApiError) {
    const causes = causesOfError(error);
    const scopes = missingScopes(error.details);
    return (
      <>
        {causes.map((cause, i) => (
          <p key={i} className="error-cause">
            {cause.message}
            {cause.fix && (
              <>
                {' '}
                <span className="fix">
                  Fix:{' '}
                  {cause.fix.url ? (
                    <a href={cause.fix.url} target="_blank" rel="noreferrer noopener">
                      {sentence(cause.fix.text)}
                    </a>
                  ) : (
                    sentence(cause.fix.text)
                  )}
                </span>
              </>
            )}
          </p>
        ))}
        {scopes.length > 0 && <p className="error-cause">Missing scopes: {scopes.join(', ')}.</p>}
      </>
    );
  }
  return <p className="error-cause">{error instanceof Error ? error.message : String(error)}</p>;
}

export function ErrorBox({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  return (
    <div className="alert alert-error" role="alert">
      {title && <strong>{title}</strong>}
      <ErrorText error={error} />
    </div>
  );
}

export function Progress({ children }: { children: ReactNode }) {
  return (
    <p className="progress" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {children}
    </p>
  );
}

/** A message; with `ref` it can take the focus (tabIndex -1) when it replaces the control used. */
export function Notice({ tone, children, ref }: { tone: 'info' | 'success' | 'warning'; children: ReactNode; ref?: Ref<HTMLDivElement> }) {
  return (
    <div ref={ref} tabIndex={ref ? -1 : undefined} className={`alert alert-${tone}`} role={tone === 'warning' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

/**
 * Keyboard focus for controls that replace the one the person used (a confirmation, a form that
 * closes, a row that goes away): `request()` in the handler, and after the next render the focus
 * moves to whatever `ref` is attached to, so Tab continues from there instead of the page top.
 */
export function useFocusAfter<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  const [wanted, setWanted] = useState(0);
  useEffect(() => {
    if (wanted) ref.current?.focus();
  }, [wanted]);
  return { ref, request: () => setWanted((n) => n + 1) };
}

export function Button({
  busy,
  children,
  variant = 'primary',
  disabled,
  type = 'button',
  ...rest
}: React.ComponentPropsWithRef<'button'> & { busy?: boolean; variant?: 'primary' | 'secondary' | 'danger' }) {
  // Busy means disabled: a second click must not send the request again.
  return (
    <button
      type={type}
      className={`btn btn-${variant}`}
      aria-busy={busy ? true : undefined}
      disabled={busy || disabled}
      {...rest}
    >
      {busy && <span className="spinner spinner-inline" aria-hidden="true" />}
      {children}
    </button>
  );
}
