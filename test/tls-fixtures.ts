import { execFile } from 'node:child_process'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const openssl = (args: string[], cwd: string) => promisify(execFile)('openssl', args, { cwd })

export interface TlsFixtures {
  dir: string
  /** The CA that signed the broker's certificate (PEM). */
  caFile: string
  /** A CA that signed nothing we use: trusting only it must fail. */
  otherCaFile: string
  /** The broker's key and certificate chain as a PKCS#12 keystore, for Kafka's listener. */
  keystoreFile: string
  keystorePassword: string
}

async function makeCa(dir: string, name: string): Promise<void> {
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
    ],
    dir,
  )
}

/** A throw-away CA, a second CA, and a broker certificate for 127.0.0.1 and localhost, made with openssl. */
export async function makeTlsFixtures(): Promise<TlsFixtures> {
  const dir = await mkdtemp(join(tmpdir(), 'mixguard-tls-'))
  await makeCa(dir, 'test-ca')
  await makeCa(dir, 'other-ca')
  await openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-keyout',
      'broker.key',
      '-out',
      'broker.csr',
    ],
    dir,
  )
  // The names clients check: the listener advertises 127.0.0.1.
  await writeFile(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      'broker.csr',
      '-CA',
      'test-ca.pem',
      '-CAkey',
      'test-ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      'broker.pem',
      '-extfile',
      'san.ext',
    ],
    dir,
  )
  const keystorePassword = 'keystore-pass'
  await openssl(
    [
      'pkcs12',
      '-export',
      '-in',
      'broker.pem',
      '-inkey',
      'broker.key',
      '-certfile',
      'test-ca.pem',
      '-name',
      'broker',
      '-out',
      'broker.p12',
      '-passout',
      `pass:${keystorePassword}`,
    ],
    dir,
  )
  return {
    dir,
    caFile: join(dir, 'test-ca.pem'),
    otherCaFile: join(dir, 'other-ca.pem'),
    keystoreFile: join(dir, 'broker.p12'),
    keystorePassword,
  }
}
