import { request } from 'node:http'

/** The serving readiness route (KServe V2 / Open Inference Protocol); 200 once the model is loaded. */
const readinessPath = '/v2/health/ready'

/** GETs the readiness route on loopback; true on a 200 within `timeoutMs`. Never throws. */
export function probeReady(port: number, timeoutMs = 1000, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host, port, path: readinessPath, method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      res.resume()
      resolve(res.statusCode === 200)
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', () => resolve(false))
    req.end()
  })
}
