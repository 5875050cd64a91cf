/** The model registry, as other parts of Wharf (HTTP app, server, serving, deployments) use it. */
export type {
  ChangeContext,
  DeliveryAttempt,
  DirectDelivery,
  ModelAlias,
  ModelVersion,
  RegisteredModel,
  RegistryEvent,
  RegistryEventType,
  Stage,
  Webhook,
  WebhookDelivery,
} from './entities.js'
export { registryEventTypes, stages } from './entities.js'
export { RegistryService, type RegistryServiceOptions } from './registry-service.js'
export { WebhookService } from './webhook-service.js'
export { WebhookDispatcher, startWebhookDispatcher, type DispatcherOptions } from './webhook-dispatcher.js'
export { resolveModelUri, resolveModelReference, type ModelLocation } from './model-resolver.js'
export { sendWebhook, type SendResult } from './webhook-sender.js'
export { toWireDirectDelivery } from './wharf-wire.js'
export { isValidSignature, requestTarget, signDelivery, type SignedRequest } from './webhook-signature.js'
