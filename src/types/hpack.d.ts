/** hpack@1 (RFC 7541) ships no types: the part grpc-call-sampler.ts uses. */
declare module 'hpack' {
  export default class HPACK {
    /** Decodes one header block, updating this decoder's dynamic table: [name, value] pairs in order. */
    decode(block: Buffer): [string, string][]
    encode(headers: readonly (readonly [string, string])[]): Buffer
    setTableSize(size: number): void
  }
}
