import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { MlModel } from '../model-dir.js'
import { codeLoadingReason } from './pickle-policy.js'

const model = (flavors: MlModel['flavors']): MlModel => ({ flavors })
const pyfunc = (loader: string, extra: Record<string, unknown> = {}) => ({ loader_module: loader, ...extra })

describe('which MLflow flavors load by unpickling', () => {
  it('names pickled flavors: sklearn (pickle, cloudpickle), a custom python_model, pytorch, a scikit-learn API LightGBM model', () => {
    const cases: [MlModel, string][] = [
      [model({ python_function: pyfunc('mlflow.sklearn'), sklearn: { serialization_format: 'cloudpickle' } }), 'sklearn (serialization_format cloudpickle)'],
      [model({ python_function: pyfunc('mlflow.sklearn'), sklearn: { serialization_format: 'pickle' } }), 'sklearn (serialization_format pickle)'],
      // MLflow 2.x wrote no serialization_format on old models: the default was cloudpickle.
      [model({ python_function: pyfunc('mlflow.sklearn'), sklearn: {} }), 'sklearn (serialization_format cloudpickle)'],
      [model({ python_function: pyfunc('mlflow.pyfunc.model', { python_model: 'python_model.pkl' }) }), 'python_function (a cloudpickled python_model)'],
      [model({ python_function: pyfunc('mlflow.pytorch'), pytorch: {} }), 'pytorch'],
      [model({ python_function: pyfunc('mlflow.lightgbm'), lightgbm: { data: 'model.pkl' } }), 'lightgbm (a scikit-learn API model, saved as a pickle)'],
      [model({ python_function: pyfunc('mlflow.xgboost', { code: 'code' }), xgboost: { model_format: 'xgb' } }), "python_function (ships code in 'code')"],
    ]
    for (const [m, reason] of cases) assert.equal(codeLoadingReason(m), reason)
  })

  it('lets through flavors stored in their library format: xgboost, a LightGBM Booster, CatBoost, sklearn in skops', () => {
    const safe: MlModel[] = [
      model({ python_function: pyfunc('mlflow.xgboost'), xgboost: { model_format: 'xgb', data: 'model.xgb' } }),
      model({ python_function: pyfunc('mlflow.xgboost'), xgboost: { model_format: 'ubj' } }),
      model({ python_function: pyfunc('mlflow.lightgbm'), lightgbm: { data: 'model.lgb' } }),
      model({ python_function: pyfunc('mlflow.catboost'), catboost: { data: 'model.cb' } }),
      model({ python_function: pyfunc('mlflow.sklearn'), sklearn: { serialization_format: 'skops' } }),
    ]
    for (const m of safe) assert.equal(codeLoadingReason(m), undefined, JSON.stringify(m.flavors))
  })
})
