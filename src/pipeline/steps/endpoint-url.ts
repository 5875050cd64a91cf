/** Hosts that always mean "this machine". */
const isLoopback = (url: string): boolean => {
  try {
    const host = new URL(url).hostname
    return /^127\.\d+\.\d+\.\d+$/.test(host) || host === 'localhost' || host === '[::1]' || host.endsWith('.localhost')
  } catch {
    return false
  }
}

/**
 * The URL the test step calls: the one the deployment reports (for Kubernetes, its external URL).
 * A loopback URL is the runner itself unless the runner shares the server's machine, which it
 * does when it reaches the server through loopback too; otherwise (a hosted CI agent) say so
 * instead of testing whatever answers on the agent's own port.
 */
export function reachableEndpointUrl(endpointUrl: string, trackingUri: string | undefined, environment: string, model: string): string {
  if (isLoopback(endpointUrl) && trackingUri !== undefined && !isLoopback(trackingUri)) {
    throw new Error(
      `${environment} reports only a loopback URL for ${model} (${endpointUrl}), and this runner reaches the Wharf server at ${trackingUri}, on another machine: ` +
        `${endpointUrl} would be this runner itself. Test from the server's machine, or deploy ${environment} where it has an external URL (a kubernetes environment's url, ingress or service)`,
    )
  }
  return endpointUrl
}
