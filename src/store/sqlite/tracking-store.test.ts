import { describeTrackingStore } from '../tracking-store.contract.js'
import { SqliteTrackingStore } from './tracking-store.js'

describeTrackingStore('sqlite (:memory:)', async () => new SqliteTrackingStore(':memory:', { durability: 'normal' }))
