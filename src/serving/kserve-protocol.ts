import type { Prediction } from '../models/index.js'
import { version } from '../version.js'
import { mediaTypeOf } from './media-type.js'
import { parseJsonBody, requestFromInputs, requestFromInstances, requestFromRowsBody, runRequest, type ModelRequest } from './model-request.js'
import type { Predictor } from './predictor.js'
import { predictionsJson } from './prediction-json.js'
import { jsonReply, type Reply, type RequestContext, type Route } from './route.js'
import { badRequest, MlflowError } from '../errors.js'
import { v2ModelMetadata } from './v2-metadata.js'
import { modelRequestFromV2 } from './v2-model-input.js'
import { readV2Request } from './v2-request.js'
import { v2InferReply } from './v2-response.js'

/** KServe answers failures as `{"error": "..."}` on both protocol versions (docs/protocols.md §7). */
export const kserveError = (err: MlflowError): Reply => jsonReply(err.status, JSON.stringify({ error: err.message }))

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)
/** Open Inference Protocol model metadata. */
const metadata = (ctx: RequestContext): Reply => jsonReply(200, JSON.stringify(v2ModelMetadata(ctx.slot.name, ctx.entry!)))

/** V2 inference, JSON or with binary tensors (v2-request.ts), answered the same way it was asked (v2-response.ts). */
function infer(ctx: RequestContext): Reply | Promise<Reply> {
  const request = readV2Request(ctx.body!, ctx.headers)
  const entry = ctx.entry!
  const answer = { modelName: ctx.slot.name, modelVersion: entry.version }
  const result = runRequest(entry.predictor, modelRequestFromV2(entry.predictor, request.inputs))
  return result instanceof Promise ? result.then((p) => v2InferReply(answer, request, p)) : v2InferReply(answer, request, result)
}

const instancesKey = Buffer.from('instances')

function v1Request(predictor: Predictor, body: Buffer): ModelRequest {
  const fast = requestFromRowsBody(predictor, body, instancesKey)
  if (fast !== undefined) return fast
  const doc = parseJsonBody(body.toString('utf8'))
  if (!isObject(doc)) throw badRequest('the request must be a JSON object with instances')
  const request =
    doc['instances'] !== undefined
      ? requestFromInstances(predictor, doc['instances'], 'instances')
      : doc['inputs'] !== undefined
        ? requestFromInputs(predictor, doc['inputs'])
        : undefined
  if (request === undefined) throw badRequest("the request needs 'instances' (or 'inputs')")
  return request
}

function v1Predict(ctx: RequestContext): Reply | Promise<Reply> {
  mediaTypeOf(ctx.contentType, false)
  const predictor = ctx.entry!.predictor
  const reply = (p: Prediction) => jsonReply(200, `{"predictions":${predictionsJson(p)}}`)
  const result = runRequest(predictor, v1Request(predictor, ctx.body!))
  return result instanceof Promise ? result.then(reply) : reply(result)
}

const ready = (ctx: RequestContext): Reply => jsonReply(ctx.slot.isReady ? 200 : 503, `{"name":${JSON.stringify(ctx.slot.name)},"ready":${ctx.slot.isReady}}`)

/** `/v2/models/NAME/versions/V[/ready|/infer]`: only the version being served answers. */
function versioned(ctx: RequestContext, prefix: string): Reply | Promise<Reply> {
  const rest = ctx.path.slice(prefix.length)
  const slash = rest.indexOf('/')
  const v = slash === -1 ? rest : rest.slice(0, slash)
  const tail = slash === -1 ? '' : rest.slice(slash)
  if (ctx.entry === undefined || v !== ctx.entry.version)
    throw new MlflowError('ENDPOINT_NOT_FOUND', `model '${ctx.slot.name}' version '${v.slice(0, 40)}' is not served here`)
  if (tail === '' && ctx.body === undefined) return metadata(ctx)
  if (tail === '/ready' && ctx.body === undefined) return ready(ctx)
  if (tail === '/infer' && ctx.body !== undefined) return infer(ctx)
  throw new MlflowError('ENDPOINT_NOT_FOUND', 'no such route')
}

/** KServe V2 (Open Inference Protocol) and V1 routes for the one model served, by exact path. */
export function kserveRoutes(name: string): Route[] {
  const m = `/v2/models/${name}`
  const common = { errors: kserveError, isOpen: false, needsModel: true } as const
  const open = { errors: kserveError, isOpen: true, needsModel: false } as const
  const versions = `${m}/versions/`
  return [
    {
      ...open,
      method: 'GET',
      path: '/v2',
      label: '/v2',
      handle: () => jsonReply(200, `{"name":"wharf","version":${JSON.stringify(version)},"extensions":["binary_tensor_data"]}`),
    },
    { ...open, method: 'GET', path: '/v2/health/live', label: '/v2/health/live', handle: () => jsonReply(200, '{"live":true}') },
    {
      ...open,
      method: 'GET',
      path: '/v2/health/ready',
      label: '/v2/health/ready',
      handle: (ctx) => jsonReply(ctx.slot.isReady ? 200 : 503, `{"ready":${ctx.slot.isReady}}`),
    },
    { ...common, method: 'GET', path: m, label: '/v2/models/{name}', handle: metadata },
    { ...open, method: 'GET', path: `${m}/ready`, label: '/v2/models/{name}/ready', handle: ready },
    { ...common, method: 'POST', path: `${m}/infer`, label: '/v2/models/{name}/infer', handle: infer },
    { ...common, method: 'GET', path: versions, isPrefix: true, label: '/v2/models/{name}/versions/{v}', handle: (ctx) => versioned(ctx, versions) },
    { ...common, method: 'POST', path: versions, isPrefix: true, label: '/v2/models/{name}/versions/{v}/infer', handle: (ctx) => versioned(ctx, versions) },
    { ...common, method: 'GET', path: '/v1/models', label: '/v1/models', handle: () => jsonReply(200, `{"models":[${JSON.stringify(name)}]}`) },
    { ...open, method: 'GET', path: `/v1/models/${name}`, label: '/v1/models/{name}', handle: ready },
    { ...common, method: 'POST', path: `/v1/models/${name}:predict`, label: '/v1/models/{name}:predict', handle: v1Predict },
  ]
}
