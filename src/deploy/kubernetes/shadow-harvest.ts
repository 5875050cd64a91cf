import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { AgreementReport } from '../agreement.js'
import type { KubernetesEnvironment } from '../environments.js'
import { ShadowLog } from '../shadow-log.js'
import type { KubernetesApi } from './kube-api.js'
import type { EndpointNames } from './names.js'
import { shadowRecordsIn } from './route-config.js'

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_')

/** RFC 3339 times with nanoseconds (trailing zeros trimmed, as the kubelet writes them) made comparable as strings. */
const sortable = (t: string) => {
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(t)
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z` : t
}

/**
 * Collects the shadow comparisons the routers of a Kubernetes endpoint write to their logs into the
 * endpoint's shadow log (the file the local targets write), so `wharf traffic` reports agreement the
 * same way on every target. Remembers per pod the time of the last line it took, on disk, so a line
 * is counted once across calls and restarts.
 */
export class ShadowHarvest {
  readonly #dir: string
  readonly #logs = new Map<string, Promise<ShadowLog>>()

  constructor(dir: string) {
    this.#dir = dir
  }

  async collect(api: KubernetesApi, env: KubernetesEnvironment, names: EndpointNames): Promise<AgreementReport[]> {
    const base = join(this.#dir, safeName(env.name), safeName(names.modelName))
    const log = await this.#open(`${base}.jsonl`)
    const marksFile = `${base}.marks.json`
    const marks = JSON.parse(await readFile(marksFile, 'utf8').catch(() => '{}')) as Record<string, string>
    const pods = await api.list('v1', 'Pod', env.namespace, `${names.selector},app.kubernetes.io/component=router`)
    for (const pod of pods) {
      const name = pod.metadata.name
      const text = await api.podLog(env.namespace, name, { timestamps: true }).catch(() => '')
      for (const line of text.split('\n')) {
        const space = line.indexOf(' ')
        if (space < 0) continue
        const time = sortable(line.slice(0, space))
        if (marks[name] !== undefined && time <= marks[name]!) continue
        for (const record of shadowRecordsIn(line.slice(space + 1))) log.append(record)
        marks[name] = time
      }
    }
    const alive = new Set(pods.map((p) => p.metadata.name))
    // Pods that are gone will not log again; keep the file small.
    for (const name of Object.keys(marks)) if (!alive.has(name)) delete marks[name]
    await writeFile(marksFile, JSON.stringify(marks))
    return log.reports()
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
