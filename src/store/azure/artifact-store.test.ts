import { skipWithout, testAzurite } from '../../testing/object-stores.js'
import { describeArtifactStore } from '../artifact-store.contract.js'
import { AzureArtifactStore, azureContainerClient } from './artifact-store.js'

const azurite = await testAzurite()
if (azurite) {
  const container = await azurite.newContainer()
  describeArtifactStore('azure blob (azurite)', async () => {
    const location = { container, account: 'devstoreaccount1', prefix: `wharf/${Math.random().toString(36).slice(2)}` }
    return new AzureArtifactStore(location, azureContainerClient(location, { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString }))
  })
} else {
  skipWithout('Azurite', 'ArtifactStore contract: azure')
}
