import { z } from 'zod'

/**
 * An environment's `monitoring:` settings in wharf.yaml. Both parts are opt-in: without them the
 * endpoint's router copies nothing and the request path is what it was.
 *
 * ```yaml
 * environments:
 *   production:
 *     monitoring:
 *       logPredictions: { sampleRate: 0.1, retentionDays: 7 }
 *       drift: { sampleRate: 1, windowRows: 1000, psiThreshold: 0.25, ksThreshold: 0.3 }
 *       alerts: { webhooks: [{ url: https://hooks.example.com/drift, secretEnv: WHARF_ALERT_SECRET }] }
 * ```
 */
export const monitoringSchema = z.strictObject({
  /** Sampled requests and their answers, written in batches to the artifact store (docs/monitoring.md). */
  logPredictions: z
    .strictObject({
      /** Share of prediction requests logged, 0 to 1. */
      sampleRate: z.number().min(0).max(1),
      /** Days of logs kept; older date partitions are deleted. */
      retentionDays: z.number().int().min(1).max(3650).default(30),
    })
    .optional(),
  /** Drift of live inputs and predictions against the version's training profile. */
  drift: z
    .strictObject({
      /** Share of prediction requests whose rows enter the drift window, 0 to 1. */
      sampleRate: z.number().min(0).max(1).default(1),
      /** The sliding window: the latest this many rows. */
      windowRows: z.number().int().min(10).max(1_000_000).default(1000),
      /** A feature (or the prediction) whose PSI passes this is in breach; 0.25 is the usual "significant shift". */
      psiThreshold: z.number().positive().default(0.25),
      /** A feature whose Kolmogorov–Smirnov distance passes this is in breach. */
      ksThreshold: z.number().positive().max(1).default(0.3),
      /** Rows needed in the window before drift is judged (fewer rows give noisy PSI). */
      minRows: z.number().int().min(1).default(100),
    })
    .optional(),
  /** Signed webhooks sent when drift passes a threshold, signed as registry webhooks are. */
  alerts: z
    .strictObject({
      webhooks: z
        .array(
          z.strictObject({
            url: z
              .string()
              .url()
              .regex(/^https?:/, 'expected an http(s) URL'),
            /** The server's environment variable holding the signing secret (never the secret itself in wharf.yaml). */
            secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name such as WHARF_ALERT_SECRET'),
          }),
        )
        .min(1),
    })
    .optional(),
})

export type MonitoringSettings = z.infer<typeof monitoringSchema>

/** Share of prediction requests a router samples for monitoring: enough for both the log and the drift window. */
export const captureRateOf = (settings: MonitoringSettings | undefined): number =>
  Math.max(settings?.logPredictions?.sampleRate ?? 0, settings?.drift?.sampleRate ?? 0)
