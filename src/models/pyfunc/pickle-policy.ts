import type { MlModel } from '../model-dir.js'

/**
 * Which MLflow flavors load without unpickling, as each flavor saves its model (mlflow/<flavor>/__init__.py):
 * xgboost and lightgbm Boosters, and CatBoost, write their library's own file format; scikit-learn
 * writes a pickle (or cloudpickle) unless skops was asked for; a custom `python_function` model is a
 * cloudpickled object; a LightGBM model of the scikit-learn API is pickled. Loading a pickle runs
 * whatever code it names, so those load only when the operator says so (`--allow-pickle`).
 */
function flavorNeedsPickle(name: string, flavor: Record<string, unknown>): string | undefined {
  const data = typeof flavor['data'] === 'string' ? flavor['data'] : ''
  switch (name) {
    case 'python_function':
      return undefined // the loader flavor's own entry decides
    case 'xgboost':
      return ['xgb', 'json', 'ubj'].includes(String(flavor['model_format'] ?? 'xgb')) ? undefined : `xgboost (model_format ${String(flavor['model_format'])})`
    case 'lightgbm':
      return data.endsWith('.pkl') ? 'lightgbm (a scikit-learn API model, saved as a pickle)' : undefined
    case 'catboost':
      return undefined
    case 'sklearn': {
      const format = String(flavor['serialization_format'] ?? 'cloudpickle')
      return format === 'skops' ? undefined : `sklearn (serialization_format ${format})`
    }
    default:
      // Other flavors (pytorch, a custom python_model, ...) are pickles or run the model's own code.
      return name
  }
}

/**
 * Why loading this model through `mlflow.pyfunc.load_model` would run code that came with the model,
 * or undefined when it would not: the flavor its python_function entry loads through is stored as a
 * pickle, or the model ships code (`code` in python_function) that MLflow puts on the import path.
 */
export function codeLoadingReason(mlmodel: MlModel): string | undefined {
  const pyfunc = mlmodel.flavors['python_function']
  if (pyfunc === undefined) return undefined
  if (pyfunc['code'] !== undefined && pyfunc['code'] !== null) return `python_function (ships code in '${String(pyfunc['code'])}')`
  const loader = String(pyfunc['loader_module'] ?? '')
  if (loader === 'mlflow.pyfunc.model') return 'python_function (a cloudpickled python_model)'
  const flavor = loader.startsWith('mlflow.') ? loader.slice('mlflow.'.length) : loader
  const own = mlmodel.flavors[flavor]
  return flavorNeedsPickle(flavor, own ?? {})
}
