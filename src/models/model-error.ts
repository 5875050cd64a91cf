/** A model directory that Wharf cannot load: missing or malformed MLmodel, no onnx flavor, unsafe paths. */
export class ModelFormatError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ModelFormatError'
  }
}
