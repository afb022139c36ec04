/**
 * The local grid's certificate authority (zos-protocol.md §6.5: name proxies get TLS from a wildcard
 * certificate of the node's domain, FQDN proxies from an HTTP-01 certificate). On the real grid those
 * come from Let's Encrypt; locally one CA signs them, and clients trust `certPem`. Keys are made by
 * node:crypto (fast, native); node-forge builds and signs the X.509 certificates.
 * @module
 */
import { generateKeyPairSync, randomBytes } from 'crypto';
import forge from 'node-forge';

export interface IssuedCert {
  certPem: string;
  keyPem: string;
}

export interface GridCa {
  /** The CA certificate clients trust. */
  readonly certPem: string;
  /** The CA key, so a grid can persist and reload its CA; treat as a secret. */
  readonly keyPem: string;
  /** A server certificate for these DNS names (`*.gw1.grid.local` allowed), valid `days` days. */
  issue(names: string[], days?: number): IssuedCert;
}

/** Makes a new CA, or loads one from PEMs saved earlier. */
export function createGridCa(opts: { commonName?: string; existing?: { certPem: string; keyPem: string } } = {}): GridCa {
  let caCert: forge.pki.Certificate;
  let caKey: forge.pki.rsa.PrivateKey;
  let keyPem: string;
  if (opts.existing) {
    caCert = forge.pki.certificateFromPem(opts.existing.certPem);
    keyPem = opts.existing.keyPem;
    caKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  } else {
    const pair = rsaPair();
    keyPem = pair.keyPem;
    caKey = forge.pki.privateKeyFromPem(pair.keyPem) as forge.pki.rsa.PrivateKey;
    caCert = forge.pki.createCertificate();
    caCert.publicKey = forge.pki.publicKeyFromPem(pair.publicPem);
    caCert.serialNumber = serial();
    caCert.validity.notBefore = new Date(Date.now() - 60_000);
    caCert.validity.notAfter = new Date(Date.now() + 3650 * 86400_000);
    const subject = [
      { name: 'commonName', value: opts.commonName ?? 'tfgrid local CA' },
      { name: 'organizationName', value: 'pulumi-tfgrid' },
    ];
    caCert.setSubject(subject);
    caCert.setIssuer(subject);
    caCert.setExtensions([{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }, { name: 'subjectKeyIdentifier' }]);
    caCert.sign(caKey, forge.md.sha256.create());
  }
  const certPem = forge.pki.certificateToPem(caCert);

  return {
    certPem,
    keyPem,
    issue(names, days = 90) {
      const pair = rsaPair();
      const cert = forge.pki.createCertificate();
      cert.publicKey = forge.pki.publicKeyFromPem(pair.publicPem);
      cert.serialNumber = serial();
      cert.validity.notBefore = new Date(Date.now() - 60_000);
      cert.validity.notAfter = new Date(Date.now() + days * 86400_000);
      cert.setSubject([{ name: 'commonName', value: names[0] }]);
      cert.setIssuer(caCert.subject.attributes);
      cert.setExtensions([
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: names.map((value) => ({ type: 2, value })) },
      ]);
      cert.sign(caKey, forge.md.sha256.create());
      return { certPem: forge.pki.certificateToPem(cert), keyPem: pair.keyPem };
    },
  };
}

function rsaPair(): { keyPem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    // forge reads PKCS#1 private keys
    keyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function serial(): string {
  // positive, 16 bytes
  const b = randomBytes(16);
  b[0] &= 0x7f;
  return b.toString('hex');
}
