import { describePipelineStore } from '../pipeline-store.contract.js'
import { openSqlite } from './database.js'
import { SqlitePipelineStore } from './pipeline-store.js'

describePipelineStore(
  'sqlite (:memory:)',
  async (isOwnerAlive) => new SqlitePipelineStore(openSqlite(':memory:', { durability: 'normal' }), { ownsDb: true, isOwnerAlive }),
)
