import { describeRegistryStore } from '../registry-store.contract.js'
import { SqliteRegistryStore } from './registry-store.js'

describeRegistryStore('sqlite (:memory:)', async () => new SqliteRegistryStore(':memory:', { durability: 'normal' }))
