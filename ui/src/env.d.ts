// esbuild bundles imported CSS into the app's stylesheet; the import itself has no value.
declare module '*.css'
