const clean = (s: string) => s.replace(/[^\w.@/+-]/g, '').slice(0, 100)

/**
 * Who a registry change is recorded as, kept simple on purpose:
 * 1. the user name of HTTP Basic credentials (the MLflow client sends MLFLOW_TRACKING_USERNAME;
 *    with --auth-token the guard has already checked the password), else
 * 2. `client:<product/version>` from the User-Agent (`client:mlflow-python-client/3.1.0`), else
 * 3. `anonymous`.
 * A user name cannot contain ':', so it never looks like case 2. Without --auth-token the user name
 * is what the caller claims, which is all an unauthenticated server can know.
 */
export function actorOf(headers: { readonly authorization?: string | undefined; readonly userAgent?: string | undefined }): string {
  const auth = headers.authorization
  if (auth?.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8')
    const user = clean(decoded.slice(0, Math.max(0, decoded.indexOf(':'))))
    if (user !== '') return user
  }
  const product = clean(headers.userAgent?.trim().split(/\s+/)[0] ?? '')
  return product === '' ? 'anonymous' : `client:${product}`
}
