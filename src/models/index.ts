export { ModelFormatError } from './model-error.js'
export { readModelDir, writeModelDir, type MlModel, type ModelDirectory, type ModelToWrite, type InputExample } from './model-dir.js'
export { InputError, toColumnar, type ColumnValues, type ModelInput, type ColumnarInput } from './model-input.js'
export { NativeEvaluator } from './native-evaluator.js'
export { exportOnnx } from './onnx/export.js'
export { interpretOutputs, type OutputTensor, type Prediction } from './prediction.js'
export { loadModel, type Backend, type LoadOptions, type LoadedModel } from './runtime.js'
export { resolveInsideModel } from './inside-model.js'
export { parseModelUri, parseStage, parseVersion, stages, type ModelReference, type Stage } from './model-uri.js'
export {
  inputColumnNames,
  isTensorSchema,
  signatureFromMlmodel,
  signatureToMlmodel,
  type ColumnSpec,
  type ColumnType,
  type SchemaSpec,
  type Signature,
  type TensorSpec,
} from './signature.js'
export {
  featureCountOf,
  outputNamesOf,
  wharfModelFormat,
  type Estimator,
  type FeatureColumn,
  type Link,
  type Tree,
  type WharfModelSpec,
} from './wharf-model.js'
