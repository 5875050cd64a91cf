import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

/** The gRPC ports of one endpoint: its own (the pass-through) and each instance's. */
export interface GrpcPorts {
  endpointPort: number | undefined
  readonly instances: Map<string, number>
}

/**
 * Reads the ports file an endpoint's gRPC ports are kept in, beside its logs rather than in the
 * deployment store: after a restart of the control plane, adopted instances are supervised (and
 * restarted) with the gRPC port they were started with, and the endpoint keeps its address.
 */
export async function readGrpcPorts(file: string): Promise<GrpcPorts> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { endpointPort: undefined, instances: new Map() }
    throw err
  }
  const saved = JSON.parse(text) as { endpoint_port?: unknown; instances?: Record<string, unknown> }
  const isPort = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0 && (v as number) < 65536
  const instances = new Map<string, number>()
  for (const [id, port] of Object.entries(saved.instances ?? {})) if (isPort(port)) instances.set(id, port)
  return { endpointPort: isPort(saved.endpoint_port) ? saved.endpoint_port : undefined, instances }
}

export async function writeGrpcPorts(file: string, ports: GrpcPorts): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 })
  const text = JSON.stringify({ endpoint_port: ports.endpointPort, instances: Object.fromEntries(ports.instances) })
  // Whole-file replace: a crash never leaves half a file.
  await writeFile(`${file}.tmp`, `${text}\n`, { mode: 0o600 })
  await rename(`${file}.tmp`, file)
}

export async function removeGrpcPorts(file: string): Promise<void> {
  await rm(file, { force: true })
}
