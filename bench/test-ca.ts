/**
 * A throw-away certificate authority and a server certificate for 127.0.0.1,
 * made with the openssl CLI, so the benchmark's upstream is https as in
 * production. The CA goes to children through NODE_EXTRA_CA_CERTS.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/** PEM files of the test CA and server. */
export interface TestCa {
  /** Path of the CA certificate, for NODE_EXTRA_CA_CERTS. */
  readonly caFile: string;
  /** Server key, PEM. */
  readonly key: string;
  /** Server certificate, PEM. */
  readonly cert: string;
}

/** Creates the CA and a 127.0.0.1 server certificate in `dir`. */
export function makeTestCa(dir: string): TestCa {
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  // A fresh P-256 key, unencrypted, for each certificate.
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...newKey,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=bench test CA',
  );
  openssl(
    'req',
    ...newKey,
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
    '-subj',
    '/CN=127.0.0.1',
  );
  writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('server.pem'),
    '-days',
    '2',
    '-extfile',
    file('san.ext'),
  );
  return {
    caFile: file('ca.pem'),
    key: readFileSync(file('server.key'), 'utf8'),
    cert: readFileSync(file('server.pem'), 'utf8'),
  };
}
