import { isTensorSchema, type ColumnSpec, type Prediction, type TensorSpec } from '../models/index.js'
import { version } from '../version.js'
import { mediaTypeOf } from './media-type.js'
import { parseJsonBody, requestFromInputs, requestFromInstances, runRequest, type ModelRequest } from './model-request.js'
import { predictionsJson, v2OutputsJson } from './prediction-json.js'
import type { Predictor } from './predictor.js'
import { jsonReply, type Reply, type RequestContext, type Route } from './route.js'
import { badRequest, MlflowError } from '../errors.js'
import { checkTensor, datatypeOf, flatten, tensorInfos, type Tensor } from './tensor-input.js'

/** KServe answers failures as `{"error": "..."}` on both protocol versions (docs/protocols.md §7). */
export const kserveError = (err: MlflowError): Reply => jsonReply(err.status, JSON.stringify({ error: err.message }))

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)
const datatypeByColumnType: Readonly<Record<string, string>> = {
  double: 'FP64',
  float: 'FP32',
  long: 'INT64',
  integer: 'INT32',
  boolean: 'BOOL',
  string: 'BYTES',
}

function tensorMetadata(specs: readonly ColumnSpec[] | readonly TensorSpec[] | undefined): string {
  if (specs === undefined) return '[]'
  if (isTensorSchema(specs)) return JSON.stringify(tensorInfos(specs).map((t) => ({ name: t.name, datatype: datatypeOf(t.dtype), shape: t.shape })))
  return JSON.stringify(
    specs.map((c, i) => ({ name: c.name ?? String(i), datatype: datatypeByColumnType[typeof c.type === 'string' ? c.type : ''] ?? 'BYTES', shape: [-1] })),
  )
}

/** Open Inference Protocol model metadata. */
function metadata(ctx: RequestContext): Reply {
  const entry = ctx.entry!
  const signature = entry.predictor.signature
  const inputs =
    entry.predictor.schema === undefined
      ? tensorMetadata(signature?.inputs)
      : tensorMetadata(entry.predictor.schema.columns.map((c) => ({ name: c.name, type: c.type as ColumnSpec['type'] })))
  const platform = entry.predictor.backend === 'native' ? 'wharf_native' : 'onnx_onnxv1'
  const versions = entry.version === undefined ? '' : `,"versions":[${JSON.stringify(entry.version)}]`
  return jsonReply(
    200,
    `{"name":${JSON.stringify(ctx.slot.name)}${versions},"platform":"${platform}","inputs":${inputs},"outputs":${tensorMetadata(signature?.outputs)}}`,
  )
}

/** Turns V2 input tensors into a model request: one tensor per column, one [N, F] matrix, or named tensors. */
function parseInferInputs(predictor: Predictor, inputs: unknown): ModelRequest {
  if (!Array.isArray(inputs) || inputs.length === 0) throw badRequest("'inputs' must be a non-empty list of tensors")
  const tensors: Record<string, Tensor> = {}
  for (const [i, raw] of inputs.entries()) {
    if (!isObject(raw)) throw badRequest(`input ${i} must be an object with name, shape, datatype and data`)
    const { name, shape, datatype, data } = raw
    if (typeof name !== 'string' || name === '') throw badRequest(`input ${i} needs a 'name'`)
    if (typeof datatype !== 'string') throw badRequest(`input '${name.slice(0, 40)}' needs a 'datatype'`)
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
      throw badRequest(`input '${name.slice(0, 40)}' needs a 'shape' of non-negative integers`)
    const flat = flatten(name, data).data
    const size = (shape as number[]).reduce((a, b) => a * b, 1)
    if (flat.length !== size) throw badRequest(`input '${name.slice(0, 40)}' has ${flat.length} values, but shape [${shape}] needs ${size}`)
    if (Object.hasOwn(tensors, name)) throw badRequest(`input '${name.slice(0, 40)}' is given twice`)
    tensors[name] = { data: flat, dims: shape as number[] }
  }
  const schema = predictor.schema
  if (schema === undefined) {
    const infos = predictor.tensors!
    const out: Record<string, Tensor> = {}
    for (const info of infos) {
      if (tensors[info.name] === undefined) throw badRequest(`missing input tensor '${info.name}'`)
      out[info.name] = checkTensor(info, tensors[info.name]!)
    }
    for (const name of Object.keys(tensors)) if (out[name] === undefined) throw badRequest(`unexpected input tensor '${name.slice(0, 40)}'`)
    return { tensors: out }
  }
  const names = Object.keys(tensors)
  const only = tensors[names[0]!]!
  const width = schema.columns.length
  if (names.length === 1 && !schema.columns.some((c) => c.name === names[0]) && only.dims.length === 2 && only.dims[1] === width) {
    const rows: unknown[][] = []
    for (let r = 0; r < only.dims[0]!; r++) rows.push(only.data.slice(r * width, (r + 1) * width))
    return { batch: schema.fromRows(rows) }
  }
  const columns: Record<string, unknown[]> = {}
  for (const name of names) {
    const t = tensors[name]!
    if (t.dims.length > 2 || (t.dims.length === 2 && t.dims[1] !== 1))
      throw badRequest(`input '${name.slice(0, 40)}' must have shape [N] or [N, 1] (one column), got [${t.dims}]`)
    columns[name] = t.data
  }
  return { batch: schema.fromColumnMap(columns) }
}

function infer(ctx: RequestContext): Reply | Promise<Reply> {
  mediaTypeOf(ctx.contentType, false)
  const doc = parseJsonBody(ctx.body!.toString('utf8'))
  if (!isObject(doc)) throw badRequest('the inference request must be a JSON object with an inputs list')
  const id = typeof doc['id'] === 'string' ? doc['id'] : undefined
  let wanted: string[] | undefined
  if (doc['outputs'] !== undefined) {
    if (!Array.isArray(doc['outputs']) || !doc['outputs'].every((o) => isObject(o) && typeof o['name'] === 'string'))
      throw badRequest("'outputs' must be a list of {name}")
    wanted = (doc['outputs'] as { name: string }[]).map((o) => o.name)
  }
  const entry = ctx.entry!
  const reply = (p: Prediction): Reply => {
    for (const name of wanted ?? [])
      if (p.outputs[name] === undefined) throw badRequest(`unknown output '${name.slice(0, 40)}'; the model has ${Object.keys(p.outputs).join(', ')}`)
    const versionField = entry.version === undefined ? '' : `,"model_version":${JSON.stringify(entry.version)}`
    const idField = `,"id":${JSON.stringify(id ?? '')}`
    return jsonReply(200, `{"model_name":${JSON.stringify(ctx.slot.name)}${versionField}${idField},"outputs":${v2OutputsJson(p, wanted)}}`)
  }
  const result = runRequest(entry.predictor, parseInferInputs(entry.predictor, doc['inputs']))
  return result instanceof Promise ? result.then(reply) : reply(result)
}

function v1Predict(ctx: RequestContext): Reply | Promise<Reply> {
  mediaTypeOf(ctx.contentType, false)
  const doc = parseJsonBody(ctx.body!.toString('utf8'))
  if (!isObject(doc)) throw badRequest('the request must be a JSON object with instances')
  const predictor = ctx.entry!.predictor
  const request =
    doc['instances'] !== undefined
      ? requestFromInstances(predictor, doc['instances'], 'instances')
      : doc['inputs'] !== undefined
        ? requestFromInputs(predictor, doc['inputs'])
        : undefined
  if (request === undefined) throw badRequest("the request needs 'instances' (or 'inputs')")
  const reply = (p: Prediction) => jsonReply(200, `{"predictions":${predictionsJson(p)}}`)
  const result = runRequest(predictor, request)
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
      handle: () => jsonReply(200, `{"name":"wharf","version":${JSON.stringify(version)},"extensions":[]}`),
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
