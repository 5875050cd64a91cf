/** A model directory that Wharf cannot load: missing or malformed MLmodel, no onnx flavor, unsafe paths. */
/**
 * `wharf serve`'s exit status when it refuses its model (a ModelFormatError: no servable flavor, a
 * pickle not allowed, no signature): EX_CONFIG of sysexits.h. A deployment's supervisor stops
 * restarting an instance that exits with it, since the same model would be refused again.
 */
export const EXIT_MODEL_REFUSED = 78

export class ModelFormatError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ModelFormatError'
  }
}
