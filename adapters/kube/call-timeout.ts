/**
 * A deadline on every request client-node's generated API classes make with a KubeConfig. They
 * pass the request through `applySecurityAuthentication` and then fetch with the request's
 * signal; without one, a hung API server holds the call for undici's 300 s header timeout and
 * the drill or phase step waiting on it stalls with it. Watches (client-node's Watch) use
 * another path and are not affected.
 */
import type { KubeConfig } from '@kubernetes/client-node';

type Apply = KubeConfig['applySecurityAuthentication'];

/** Makes every generated-API call of `kc` fail after `timeoutMs`; returns `kc`. */
export function withCallTimeout(kc: KubeConfig, timeoutMs: number): KubeConfig {
  const apply: Apply = kc.applySecurityAuthentication.bind(kc);
  kc.applySecurityAuthentication = async (context) => {
    await apply(context);
    const deadline = AbortSignal.timeout(timeoutMs);
    const own = context.getSignal();
    context.setSignal(own ? AbortSignal.any([own, deadline]) : deadline);
  };
  return kc;
}
