import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { MlflowError } from '../errors.js'
import { isBlockedAddress, validateWebhookUrl } from './webhook-url.js'

describe('webhook URL checks', () => {
  it('blocks link-local, metadata, unspecified and multicast addresses, also IPv4-mapped', () => {
    for (const ip of [
      '169.254.169.254',
      '169.254.0.1',
      '100.100.100.200',
      'fd00:ec2::254',
      'fe80::1',
      '0.0.0.0',
      '::',
      '224.0.0.1',
      'ff02::1',
      '::ffff:169.254.169.254',
      '::ffff:a9fe:a9fe',
      'not-an-ip',
    ]) {
      assert.equal(isBlockedAddress(ip), true, ip)
    }
  })

  it("blocks Azure's wire server, 192.0.0.0/24, and metadata addresses inside NAT64, IPv4-compatible, SIIT and 6to4 forms", () => {
    const forms = [
      '168.63.129.16',
      '192.0.0.192',
      '192.0.0.8',
      '64:ff9b::a9fe:a9fe',
      '64:ff9b::169.254.169.254',
      '64:ff9b:1::a9fe:a9fe',
      '64:ff9b:1:a9fe:a9:fe00::',
      '64:ff9b::a83f:8110',
      '64:ff9b::6464:64c8',
      '::169.254.169.254',
      '::a9fe:a9fe',
      '::ffff:0:a9fe:a9fe',
      '::ffff:168.63.129.16',
      '2002:a9fe:a9fe::1',
      'fe80::1%eth0',
    ]
    for (const ip of forms) assert.equal(isBlockedAddress(ip), true, ip)
  })

  it('allows loopback, private and public addresses, also through NAT64 and 6to4', () => {
    for (const ip of [
      '127.0.0.1',
      '::1',
      '::ffff:127.0.0.1',
      '10.1.2.3',
      '192.168.1.1',
      '172.16.0.1',
      '93.184.216.34',
      '2606:2800:220:1::1',
      '64:ff9b::5db8:d822',
      '64:ff9b:1::5db8:d822',
      '2002:5db8:d822::1',
    ]) {
      assert.equal(isBlockedAddress(ip), false, ip)
    }
  })

  it('checks what a name resolves to, and refuses all of it if any address is blocked', async () => {
    const resolve = async (host: string) =>
      host === 'mixed.example'
        ? [
            { address: '93.184.216.34', family: 4 },
            { address: '169.254.169.254', family: 4 },
          ]
        : [{ address: '93.184.216.34', family: 4 }]
    assert.equal(await validateWebhookUrl('https://fine.example/hook?x=1', resolve), 'https://fine.example/hook?x=1')
    await assert.rejects(
      validateWebhookUrl('https://mixed.example/hook', resolve),
      (err) => err instanceof MlflowError && err.code === 'INVALID_PARAMETER_VALUE',
    )
  })

  it('normalises numeric host forms before checking them', async () => {
    assert.equal(await validateWebhookUrl('http://2130706433:8080/x'), 'http://127.0.0.1:8080/x')
    await assert.rejects(validateWebhookUrl('http://0251.0376.0251.0376/'), MlflowError)
  })
})
