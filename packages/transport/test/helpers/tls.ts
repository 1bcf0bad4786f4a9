/** Test certificates made with the openssl CLI: a throwaway CA and leaves it signs, valid for two days. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'];

export interface TestCa {
  readonly certFile: string;
  readonly keyFile: string;
}

export function makeCa(dir: string, name = 'venn-test-ca'): TestCa {
  const ca = { certFile: join(dir, `${name}.pem`), keyFile: join(dir, `${name}.key`) };
  execFileSync('openssl', ['req', '-x509', ...EC, '-subj', `/CN=${name}`, '-keyout', ca.keyFile, '-out', ca.certFile], { stdio: 'ignore' });
  return ca;
}

/** A server certificate for `altName` (e.g. `IP:127.0.0.1`), signed by `ca`, or self-signed without one. */
export function makeLeaf(dir: string, name: string, altName: string, ca?: TestCa): { certFile: string; keyFile: string } {
  const leaf = { certFile: join(dir, `${name}.pem`), keyFile: join(dir, `${name}.key`) };
  const issuer = ca === undefined ? [] : ['-CA', ca.certFile, '-CAkey', ca.keyFile];
  execFileSync('openssl', [
    'req', '-x509', ...EC, '-subj', `/CN=${name}`, '-addext', `subjectAltName=${altName}`,
    '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'extendedKeyUsage=serverAuth', ...issuer,
    '-keyout', leaf.keyFile, '-out', leaf.certFile,
  ], { stdio: 'ignore' });
  return leaf;
}
