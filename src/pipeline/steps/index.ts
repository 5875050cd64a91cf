import type { StepFunctions } from '../step-context.js'
import { commandStep } from './command-step.js'
import { databricksStep } from './databricks-step.js'
import { deployStep, promoteStep } from './deploy-step.js'
import { gateStep } from './gate-step.js'
import { monitorStep } from './monitor-step.js'
import { registerStep } from './register-step.js'
import { testStep } from './endpoint-test-step.js'
import { trainStep } from './train-step.js'

/** The step kinds of wharf.yaml and the async function each runs. */
export const builtInSteps: StepFunctions = {
  train: trainStep,
  register: registerStep,
  deploy: deployStep,
  test: testStep,
  gate: gateStep,
  promote: promoteStep,
  monitor: monitorStep,
  command: commandStep,
  databricks: databricksStep,
}
