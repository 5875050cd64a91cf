import { TrackingClient } from '../../client/index.js'
import type { StepFunction } from '../step-context.js'

/** `register`: the run's model (`<artifact_uri>/model`) becomes a new version of a registered model. */
export const registerStep: StepFunction<'register'> = async (spec, ctx) => {
  const trained = spec.run === undefined ? ctx.latestTrainOutputs() : undefined
  const runId = spec.run ?? trained?.run_id
  if (!runId) throw new Error('no run to register: put a train step before this one, or set register.run')
  const client = new TrackingClient({ trackingUri: ctx.connection.trackingUri!, ...(ctx.connection.token ? { token: ctx.connection.token } : {}) })
  const run = await client.getRun(runId)
  await client.createRegisteredModel(spec.model)
  // MLflow 3 logs models as logged models (models:/m-...), outside the run's artifacts.
  const loggedModel = trained?.model_uri && /^models:\/m-[0-9a-f]+$/.test(trained.model_uri) ? trained.model_uri : undefined
  const mv = await client.createModelVersion(spec.model, loggedModel ?? `${run.artifact_uri.replace(/\/+$/, '')}/${spec.artifact_path}`, runId)
  ctx.log(`registered ${mv.name} version ${mv.version} from run ${runId}`)
  return { model_name: mv.name, version: mv.version, run_id: runId, model_uri: `models:/${mv.name}/${mv.version}` }
}
