import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { AgreementReport } from '../agreement.js'
import type { KubernetesEnvironment } from '../environments.js'
import type { PredictionTap } from '../prediction-tap.js'
import { ShadowLog } from '../shadow-log.js'
import type { KubernetesApi } from './kube-api.js'
import type { EndpointNames } from './names.js'
import { predictionOf } from './prediction-lines.js'
import { shadowRecordsIn } from './route-config.js'

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_')

/** RFC 3339 times with nanoseconds (trailing zeros trimmed, as the kubelet writes them) made comparable as strings. */
const sortable = (t: string) => {
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(t)
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z` : t
}

/**
 * Asks the kubelet only for the lines since a pod's mark, with a minute to spare for clocks that
 * differ between the control plane and the node (lines before the mark are skipped anyway).
 */
const sinceSecondsOf = (mark: string | undefined) => {
  const ms = mark === undefined ? NaN : Date.parse(mark)
  return Number.isNaN(ms) ? undefined : Math.max(1, Math.ceil((Date.now() - ms) / 1000) + 60)
}

/**
 * Collects what the routers of a Kubernetes endpoint write to their logs: shadow comparisons go to
 * the endpoint's shadow log (the file the local targets write), so `wharf traffic` reports agreement
 * the same way on every target; sampled predictions go to the endpoint's monitoring tap, as the local
 * routers hand them over. Remembers per pod the time of the last line it took, on disk, so a line is
 * taken once across calls and restarts. Calls for one endpoint run one at a time (a periodic harvest
 * and `wharf traffic` may overlap).
 */
export class RouterLogHarvest {
  readonly #dir: string
  readonly #logs = new Map<string, Promise<ShadowLog>>()
  readonly #queues = new Map<string, Promise<unknown>>()

  constructor(dir: string) {
    this.#dir = dir
  }

  /** Takes the new lines; answers the agreement reports (over the requests since `sinceMs`, when given). */
  collect(api: KubernetesApi, env: KubernetesEnvironment, names: EndpointNames, tap?: PredictionTap, sinceMs?: number): Promise<AgreementReport[]> {
    const base = join(this.#dir, safeName(env.name), safeName(names.modelName))
    const next = (this.#queues.get(base) ?? Promise.resolve()).then(() => this.#collect(base, api, env, names, tap, sinceMs))
    this.#queues.set(
      base,
      next.catch(() => {}),
    )
    return next
  }

  async #collect(base: string, api: KubernetesApi, env: KubernetesEnvironment, names: EndpointNames, tap: PredictionTap | undefined, sinceMs?: number) {
    const log = await this.#open(`${base}.jsonl`)
    const marksFile = `${base}.marks.json`
    const marks = JSON.parse(await readFile(marksFile, 'utf8').catch(() => '{}')) as Record<string, string>
    const pods = await api.list('v1', 'Pod', env.namespace, `${names.selector},app.kubernetes.io/component=router`)
    for (const pod of pods) {
      const name = pod.metadata.name
      const sinceSeconds = sinceSecondsOf(marks[name])
      const text = await api.podLog(env.namespace, name, { timestamps: true, ...(sinceSeconds ? { sinceSeconds } : {}) }).catch(() => '')
      for (const line of text.split('\n')) {
        const space = line.indexOf(' ')
        if (space < 0) continue
        const time = sortable(line.slice(0, space))
        if (marks[name] !== undefined && time <= marks[name]!) continue
        const content = line.slice(space + 1)
        for (const record of shadowRecordsIn(content)) log.append(record)
        const prediction = tap && predictionOf(content)
        if (prediction) tap.capture(prediction)
        marks[name] = time
      }
    }
    const alive = new Set(pods.map((p) => p.metadata.name))
    // Pods that are gone will not log again; keep the file small.
    for (const name of Object.keys(marks)) if (!alive.has(name)) delete marks[name]
    await writeFile(marksFile, JSON.stringify(marks))
    return log.reports(sinceMs)
  }

  async close(): Promise<void> {
    const logs = [...this.#logs.values()]
    this.#logs.clear()
    await Promise.all(logs.map(async (opening) => (await opening).close()))
  }

  #open(path: string): Promise<ShadowLog> {
    let opening = this.#logs.get(path)
    if (!opening) {
      const log = new ShadowLog(path)
      opening = log.open().then(() => log)
      this.#logs.set(path, opening)
    }
    return opening
  }
}
