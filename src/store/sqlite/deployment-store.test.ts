import { describeDeploymentStore } from '../deployment-store.contract.js'
import { openSqlite } from './database.js'
import { SqliteDeploymentStore } from './deployment-store.js'

describeDeploymentStore('sqlite (:memory:)', async () => new SqliteDeploymentStore(openSqlite(':memory:', { durability: 'normal' }), { ownsDb: true }))
