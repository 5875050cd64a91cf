import { type DestinationStream, type Logger, pino } from 'pino'

export type { Logger }

export interface LoggerOptions {
  /** fatal, error, warn, info, debug, trace or silent (WHARF_LOG_LEVEL). */
  readonly level?: string | undefined
  /** Where lines go: a file descriptor (1 stdout, 2 stderr) or a stream (tests). Default stdout. */
  readonly destination?: number | DestinationStream | undefined
}

/**
 * Every Wharf log line, from every process, in one shape: one JSON object per line with `time`
 * (ISO 8601), `level` (its name), `service` (wharf-server, wharf-serve, ...), `msg`, and fields in
 * snake_case, the wire's spelling (request_id, duration_ms, model, version, ...). The access log of
 * `wharf serve` is one of these too. Field names are listed in docs/architecture.md.
 */
export function createLogger(service: string, options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? 1
  return pino(
    {
      level: options.level ?? 'info',
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    typeof destination === 'number' ? pino.destination({ dest: destination, sync: true }) : destination,
  )
}
