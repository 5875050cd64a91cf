import type { Prediction } from '../models/index.js'
import { version } from '../version.js'
import { batchFromCsv } from './csv-input.js'
import { mediaTypeOf } from './media-type.js'
import { parseJsonBody, requestFromInputs, requestFromInstances, requestFromRecords, requestFromSplit, runRequest, type ModelRequest } from './model-request.js'
import { predictionsJson } from './prediction-json.js'
import type { Predictor } from './predictor.js'
import { jsonReply, textReply, type Reply, type RequestContext, type Route } from './route.js'
import { badRequest, errorBody, type MlflowError } from '../errors.js'

const formatKeys = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const

/** MLflow's scoring-server error body (docs/protocols.md §6); 415 is plain text, as MLflow answers it. */
export function mlflowError(err: MlflowError): Reply {
  if (err.status === 415) return textReply(415, err.message)
  return jsonReply(err.status, JSON.stringify(errorBody(err)))
}

/** Turns an `/invocations` body into a validated request for the model. */
function parseInvocation(predictor: Predictor, body: Buffer, contentType: string | undefined): ModelRequest {
  const media = mediaTypeOf(contentType, true)
  const reader = predictor.schema?.splitReader
  if (media !== 'csv' && reader !== undefined) {
    const split = reader.read(body)
    if (split !== undefined) return { split }
  }
  const text = body.toString('utf8')
  if (media === 'csv') {
    if (predictor.schema === undefined) throw badRequest('CSV input needs a model with a column signature')
    return { batch: batchFromCsv(text, predictor.schema) }
  }
  const json = parseJsonBody(text)
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw wrongKeys([])
  const doc = json as Record<string, unknown>
  let format: (typeof formatKeys)[number] | undefined
  for (const key in doc) {
    if (key === 'params') continue
    if (format !== undefined || !(formatKeys as readonly string[]).includes(key)) throw wrongKeys(Object.keys(doc))
    format = key as (typeof formatKeys)[number]
  }
  if (format === undefined) throw wrongKeys(Object.keys(doc))
  const params = doc['params']
  // Wharf's models take no parameters; MLflow ignores params a model does not declare, so do we.
  if (params !== undefined && (params === null || typeof params !== 'object' || Array.isArray(params))) throw badRequest("'params' must be an object")
  const value = doc[format]
  switch (format) {
    case 'dataframe_split':
      return requestFromSplit(predictor, value, 'dataframe_split')
    case 'dataframe_records':
      return requestFromRecords(predictor, value, 'dataframe_records')
    case 'instances':
      return requestFromInstances(predictor, value, 'instances')
    case 'inputs':
      return requestFromInputs(predictor, value)
  }
}

function wrongKeys(keys: readonly string[]): MlflowError {
  const shown = keys
    .slice(0, 10)
    .map((k) => JSON.stringify(k.slice(0, 40)))
    .join(', ')
  return badRequest(
    `The input must be a JSON object with exactly one of the input fields ${formatKeys.join(', ')} (and optionally params). ` +
      `Received an object with the fields [${shown}]. Note: the MLflow scoring protocol changed in MLflow 2.0.`,
  )
}

const invocationReply = (p: Prediction): Reply => jsonReply(200, `{"predictions":${predictionsJson(p)}}`)

function invoke(ctx: RequestContext): Reply | Promise<Reply> {
  const predictor = ctx.entry!.predictor
  const result = runRequest(predictor, parseInvocation(predictor, ctx.body!, ctx.contentType))
  return result instanceof Promise ? result.then(invocationReply) : invocationReply(result)
}

const health = (ctx: RequestContext): Reply => (ctx.slot.isReady ? jsonReply(200, '\n') : jsonReply(404, '\n'))

/** `mlflow models serve` routes: /invocations, /ping, /health, /version. */
export function mlflowRoutes(): Route[] {
  const common = { errors: mlflowError }
  return [
    { ...common, method: 'POST', path: '/invocations', label: '/invocations', isOpen: false, needsModel: true, handle: invoke },
    { ...common, method: 'GET', path: '/ping', label: '/ping', isOpen: true, needsModel: false, handle: health },
    { ...common, method: 'GET', path: '/health', label: '/health', isOpen: true, needsModel: false, handle: health },
    { ...common, method: 'GET', path: '/version', label: '/version', isOpen: true, needsModel: false, handle: () => textReply(200, version) },
  ]
}
