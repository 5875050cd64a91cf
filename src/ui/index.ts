export { contentSecurityPolicy, isUiRequest, mountUi } from './ui-routes.js'
