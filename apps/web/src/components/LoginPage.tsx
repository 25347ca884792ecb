import { useEffect, useState } from "react";
import { trpc } from "../api/client";
import { auth, useAuthStore } from "../auth/authStore";

/** Where "Sign in with SSO" goes, when the engine has a single sign-on provider configured. */
function useSsoLoginUrl(): string | undefined {
  const [loginUrl, setLoginUrl] = useState<string>();
  useEffect(() => {
    let live = true;
    trpc.auth.providers.query().then(
      (p) => live && setLoginUrl(p.oidc?.loginUrl),
      // an engine that cannot say offers passwords only
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return loginUrl;
}

/** Shown instead of the designer while the engine wants a login. */
export function LoginPage() {
  const notice = useAuthStore((s) => (s.status === "anonymous" ? s.notice : undefined));
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const ssoLoginUrl = useSsoLoginUrl();

  return (
    <div className="mr-login-page" data-testid="login-page">
      <form
        className="mr-login"
        aria-label="Log in to Millrace"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(await auth.login(name.trim(), password));
          setBusy(false);
        }}
      >
        <div className="mr-brand">
          <span className="mr-logo">≋</span> Millrace
        </div>
        <p className="mr-muted">Log in to design, deploy and watch flows.</p>
        {notice && !error && (
          <p className="mr-login-notice" data-testid="login-notice">
            {notice}
          </p>
        )}
        <label className="mr-label" htmlFor="login-name">User</label>
        <input id="login-name" className="mr-input" data-testid="login-name" autoComplete="username" autoFocus value={name} onChange={(e) => setName(e.target.value)} />
        <label className="mr-label" htmlFor="login-password">Password</label>
        <input id="login-password" className="mr-input" data-testid="login-password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        {error && (
          <div className="mr-field-error block" role="alert" data-testid="login-error">
            {error}
          </div>
        )}
        <button type="submit" className="mr-btn primary" data-testid="login-submit" disabled={busy || !name.trim() || !password}>
          {busy ? "Logging in…" : "Log in"}
        </button>
        {ssoLoginUrl && (
          <a className="mr-btn mr-login-sso" data-testid="login-sso" href={ssoLoginUrl}>
            Sign in with SSO
          </a>
        )}
        <p className="mr-muted small">
          First start? The engine printed the <code>admin</code> password on its console (or uses <code>MILLRACE_ADMIN_PASSWORD</code>).
        </p>
      </form>
    </div>
  );
}
