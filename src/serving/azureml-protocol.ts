import type { Prediction } from '../models/index.js'
import { mediaTypeOf } from './media-type.js'
import { parseJsonBody, requestFromInstances, requestFromRowsBody, requestFromSplit, runRequest, type ModelRequest } from './model-request.js'
import { predictionsJson } from './prediction-json.js'
import type { Predictor } from './predictor.js'
import { jsonReply, textReply, type Reply, type RequestContext, type Route } from './route.js'
import { badRequest, type MlflowError } from '../errors.js'

const azureCodes: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  503: 'ServiceUnavailable',
}

/** Azure ML's REST error envelope: `{"error": {"code", "message"}}`. */
export const azureError = (err: MlflowError): Reply =>
  jsonReply(err.status, JSON.stringify({ error: { code: azureCodes[err.status] ?? 'InternalServerError', message: err.message } }))

const dataKey = Buffer.from('data')

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

/**
 * An Azure ML `/score` body (docs/protocols.md §8): `{"data": rows or records}` as scoring scripts
 * take it, or an MLflow no-code deployment's `{"input_data": split DataFrame or list}`.
 */
function parseScore(predictor: Predictor, body: Buffer, contentType: string | undefined): ModelRequest {
  mediaTypeOf(contentType, false)
  const fast = requestFromRowsBody(predictor, body, dataKey)
  if (fast !== undefined) return fast
  const doc = parseJsonBody(body.toString('utf8'))
  if (!isObject(doc)) throw badRequest("the request must be a JSON object with 'data' or 'input_data'")
  const hasData = Object.hasOwn(doc, 'data')
  const hasInput = Object.hasOwn(doc, 'input_data')
  if (hasData === hasInput) throw badRequest("the request must have exactly one of 'data' or 'input_data'")
  if (hasData) return requestFromInstances(predictor, doc['data'], 'data')
  const input = doc['input_data']
  return isObject(input) ? requestFromSplit(predictor, input, 'input_data') : requestFromInstances(predictor, input, 'input_data')
}

const reply = (p: Prediction): Reply => jsonReply(200, predictionsJson(p))

function score(ctx: RequestContext): Reply | Promise<Reply> {
  const predictor = ctx.entry!.predictor
  const result = runRequest(predictor, parseScore(predictor, ctx.body!, ctx.contentType))
  return result instanceof Promise ? result.then(reply) : reply(result)
}

/** The Azure ML inference server's routes: `POST /score` (raw predictions) and `GET /` liveness. */
export function azuremlRoutes(): Route[] {
  return [
    { method: 'POST', path: '/score', label: '/score', isOpen: false, needsModel: true, errors: azureError, handle: score },
    { method: 'GET', path: '/', label: '/', isOpen: true, needsModel: false, errors: azureError, handle: () => textReply(200, 'Healthy') },
  ]
}
