// Type declarations for uvtls: the exports of lib/index.js (and lib/index.mjs).
// See docs/api.md for the behaviour behind each declaration.

/// <reference types="node" />

import { Duplex } from 'stream';
import { EventEmitter } from 'events';

/** PEM text or bytes. */
export type PemData = string | NodeJS.ArrayBufferView;

/** A private key with its own passphrase. */
export interface KeyObjectInput {
  pem: PemData;
  passphrase?: string | undefined;
}

/** A PKCS#12 bundle with its own passphrase. */
export interface PfxObjectInput {
  buf: PemData;
  passphrase?: string | undefined;
}

export type TLSVersion = 'TLSv1.2' | 'TLSv1.3';

export interface SecureContextOptions {
  /** Private key(s) in PEM; objects carry their own passphrase. */
  key?: PemData | Array<PemData | KeyObjectInput> | null | undefined;
  /** Certificate(s) in PEM, each optionally followed by its intermediates. */
  cert?: PemData | PemData[] | null | undefined;
  /** Trusted CA certificates in PEM. Replaces Node's default roots (+ NODE_EXTRA_CA_CERTS). */
  ca?: PemData | PemData[] | null | undefined;
  /** PKCS#12 bundle(s); pass Buffers. CA certificates inside are trusted too. */
  pfx?: PemData | Array<PemData | PfxObjectInput> | null | undefined;
  /** Shared passphrase for `key` and `pfx` items without their own. */
  passphrase?: string | null | undefined;
  /** Certificate revocation lists in PEM; enables revocation checks for the whole chain. */
  crl?: PemData | PemData[] | null | undefined;
  /**
   * ':'-separated. Names starting with `TLS_` are TLS 1.3 suites, the rest is a TLS 1.2 cipher
   * list; naming only one kind limits the protocol range accordingly.
   */
  ciphers?: string | null | undefined;
  /** Default 'TLSv1.2'. 'TLSv1' and 'TLSv1.1' are refused. */
  minVersion?: TLSVersion | undefined;
  /** Default 'TLSv1.3'. */
  maxVersion?: TLSVersion | undefined;
  /**
   * An OpenSSL method name: TLS_method, TLS_client_method, TLS_server_method, SSLv23_method,
   * SSLv23_client_method, SSLv23_server_method (TLS 1.2-1.3) or TLSv1_2_method,
   * TLSv1_2_client_method, TLSv1_2_server_method (TLS 1.2 only). Not with min/maxVersion.
   */
  secureProtocol?: string | null | undefined;
  /** ':'-separated group names, or 'auto' (default). */
  ecdhCurve?: string | undefined;
  /** DH parameters in PEM (at least 1024 bits), or 'auto'. */
  dhparam?: PemData | 'auto' | null | undefined;
  /** Servers: prefer our own cipher order over the client's. */
  honorCipherOrder?: boolean | undefined;
  /** At most 32 bytes. */
  sessionIdContext?: string | null | undefined;
  /** ':'-separated signature algorithms, e.g. 'ECDSA+SHA256:RSA-PSS+SHA256'. */
  sigalgs?: string | null | undefined;
  /** SSL_OP_* bits added to the ones uvtls always sets. */
  secureOptions?: number | null | undefined;
}

export class SecureContext {
  /** Do not construct directly: use createSecureContext(). */
  protected constructor(native: unknown);
  /** The native context handle. */
  readonly context: unknown;
}

/** Errors thrown or emitted by uvtls. */
export interface UvtlsError extends Error {
  /** Node's code ('CERT_HAS_EXPIRED', 'ERR_OSSL_PEM_NO_START_LINE', 'ECONNRESET', ...) or ERR_UVTLS_*. */
  code: string;
  /** One sentence: the likely cause and the fix. */
  hint?: string;
  /** 'connect' | 'handshake' | 'verify' | 'read' | 'write' | 'close', or 'context' (createSecureContext). */
  stage?: string;
  /** OpenSSL library name, e.g. 'PEM routines'. */
  library?: string;
  /** OpenSSL reason text, e.g. 'no start line'. */
  reason?: string;
}

/** Distinguished-name attributes; a repeated attribute is an array. */
export interface Certificate {
  C?: string | string[];
  ST?: string | string[];
  L?: string | string[];
  O?: string | string[];
  OU?: string | string[];
  CN?: string | string[];
  [attribute: string]: string | string[] | undefined;
}

export interface PeerCertificate {
  subject: Certificate;
  issuer: Certificate;
  /** e.g. 'DNS:localhost, IP Address:127.0.0.1'; absent without the extension. */
  subjectaltname?: string;
  /** Authority Information Access; absent without the extension. */
  infoAccess?: NodeJS.Dict<string[]>;
  ca: boolean;
  /** RSA only: upper-case hex. */
  modulus?: string;
  /** RSA only: e.g. '0x10001'. */
  exponent?: string;
  /** RSA and EC. */
  bits?: number;
  /** RSA: DER SubjectPublicKeyInfo; EC: the public point. */
  pubkey?: Buffer;
  /** EC only, e.g. 'prime256v1'. */
  asn1Curve?: string;
  /** EC only, when the curve has a NIST name, e.g. 'P-256'. */
  nistCurve?: string;
  valid_from: string;
  valid_to: string;
  fingerprint: string;
  fingerprint256: string;
  fingerprint512: string;
  /** Dotted OIDs; absent without the extension. */
  ext_key_usage?: string[];
  serialNumber: string;
  /** The certificate in DER. */
  raw: Buffer;
}

export interface DetailedPeerCertificate extends PeerCertificate {
  /** The issuer; a self-signed root refers to itself. Absent past the end of the known chain. */
  issuerCertificate?: DetailedPeerCertificate;
}

/**
 * What the certificate getters return when there is no certificate: `{}`. Narrow with
 * `if (cert && cert.subject)`.
 */
export interface EmptyObject {
  subject?: undefined;
}

export interface CipherNameAndProtocol {
  /** OpenSSL name. */
  name: string;
  /** IANA name. */
  standardName: string;
  /** The protocol version that introduced the cipher. */
  version: string;
}

/** `pair.cleartext`: application data in and out. */
export interface CleartextStream extends Duplex {
  /** Always true. */
  readonly encrypted: true;
  /** True when the peer's certificate verified. */
  authorized: boolean;
  /** The verification failure code, or null. */
  authorizationError: string | null;

  /** `{}` before the handshake or when the peer sent none; null after destroy. */
  getPeerCertificate(detailed: true): DetailedPeerCertificate | EmptyObject | null;
  getPeerCertificate(detailed?: false): PeerCertificate | EmptyObject | null;
  getPeerCertificate(detailed?: boolean): PeerCertificate | DetailedPeerCertificate | EmptyObject | null;
  /** Our own certificate; `{}` when the context has none; null after destroy. */
  getCertificate(): PeerCertificate | EmptyObject | null;
  /** undefined before the handshake or after destroy. */
  getCipher(): CipherNameAndProtocol | undefined;
  /** 'TLSv1.2' | 'TLSv1.3'; null before the handshake or after destroy. */
  getProtocol(): string | null;
  /** The session in DER, or undefined. */
  getSession(): Buffer | undefined;
  isSessionReused(): boolean;
  /** The SNI name; false when none; null after destroy. */
  readonly servername: string | false | null;

  addListener(event: 'secure', listener: () => void): this;
  addListener(event: string | symbol, listener: (...args: any[]) => void): this;
  on(event: 'secure', listener: () => void): this;
  on(event: 'error', listener: (err: UvtlsError) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'secure', listener: () => void): this;
  once(event: 'error', listener: (err: UvtlsError) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
}

export interface SecurePairOptions {
  /** Client: the SNI host name. */
  servername?: string | undefined;
  /** Stored as `pair.server`. */
  server?: unknown;
}

export class SecurePair extends EventEmitter {
  constructor(
    context?: SecureContext | null,
    isServer?: boolean,
    requestCert?: boolean,
    rejectUnauthorized?: boolean,
    options?: SecurePairOptions,
  );
  /** TLS records: pipe to and from a transport. */
  readonly encrypted: Duplex;
  /** Application data. */
  readonly cleartext: CleartextStream;
  readonly credentials: SecureContext;
  readonly server: unknown;
  /** Destroys both streams and frees the session (no close_notify). */
  destroy(): void;

  addListener(event: 'secure', listener: () => void): this;
  addListener(event: 'error', listener: (err: UvtlsError) => void): this;
  addListener(event: string | symbol, listener: (...args: any[]) => void): this;
  emit(event: 'secure'): boolean;
  emit(event: 'error', err: UvtlsError): boolean;
  emit(event: string | symbol, ...args: any[]): boolean;
  on(event: 'secure', listener: () => void): this;
  on(event: 'error', listener: (err: UvtlsError) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  once(event: 'secure', listener: () => void): this;
  once(event: 'error', listener: (err: UvtlsError) => void): this;
  once(event: string | symbol, listener: (...args: any[]) => void): this;
  prependListener(event: 'secure', listener: () => void): this;
  prependListener(event: 'error', listener: (err: UvtlsError) => void): this;
  prependListener(event: string | symbol, listener: (...args: any[]) => void): this;
  prependOnceListener(event: 'secure', listener: () => void): this;
  prependOnceListener(event: 'error', listener: (err: UvtlsError) => void): this;
  prependOnceListener(event: string | symbol, listener: (...args: any[]) => void): this;
}

/** Throws UvtlsError (see docs/api.md for the codes). */
export function createSecureContext(options?: SecureContextOptions | null): SecureContext;

/**
 * rejectUnauthorized: anything but literal `false` rejects a peer that fails verification.
 */
export function createSecurePair(
  context?: SecureContext | null,
  isServer?: boolean,
  requestCert?: boolean,
  rejectUnauthorized?: boolean,
  options?: SecurePairOptions,
): SecurePair;

/** Node's bundled root certificates (PEM). */
export const rootCertificates: ReadonlyArray<string>;
/** Node's tls.getCiphers(). */
export function getCiphers(): string[];
/** Snapshots: assigning to them has no effect. */
export const DEFAULT_CIPHERS: string;
export const DEFAULT_ECDH_CURVE: string;
export const DEFAULT_MIN_VERSION: TLSVersion;
export const DEFAULT_MAX_VERSION: TLSVersion;
/** e.g. 'OpenSSL 3.0.19 27 Jan 2026'. */
export const opensslVersion: string;

// --- Servers and client sockets ------------------------------------------------------------
// uvtls mirrors Node's `tls` here (option names, events, methods), so Node's own declarations
// describe it; the additions are the classic NPN options and the `hint`/`stage` on errors.
import type * as NodeTls from 'tls';

export interface UvtlsConnectionOptions extends NodeTls.ConnectionOptions {
  /** Classic NPN (TLS 1.2). */
  NPNProtocols?: string[] | Buffer | Uint8Array;
  /** uvtls only: fail with ERR_TLS_HANDSHAKE_TIMEOUT when the handshake takes longer (ms; 0 or unset: wait forever, as Node). */
  handshakeTimeout?: number;
}

/** Where getPeerIdentity() takes the identity from (RabbitMQ's ssl_cert_login_from). */
export type PeerIdentitySource = 'common_name' | 'distinguished_name' | 'subject_alternative_name';
export type PeerIdentitySanType = 'dns' | 'ip' | 'email' | 'uri' | 'other_name';

export interface PeerIdentityOptions {
  from?: PeerIdentitySource;
  /** Required with 'subject_alternative_name'. */
  sanType?: PeerIdentitySanType;
  /** Which name of that type, from 0 (default 0). */
  index?: number;
  /** RabbitMQ's spellings, accepted as aliases. */
  ssl_cert_login_from?: PeerIdentitySource;
  ssl_cert_login_san_type?: PeerIdentitySanType;
  ssl_cert_login_san_index?: number | string;
}

/** A snapshot of one connection (getConnectionInfo / getConnectionsInfo). */
export interface ConnectionInfo {
  protocol: string | null;
  cipher: { name: string; standardName: string } | null;
  keyExchangeGroup: string | null;
  peerCertificate: {
    /** RFC 4514 strings. */
    subject: string;
    issuer: string;
    /** ISO 8601. */
    validFrom: string;
    validTo: string;
    fingerprint256: string;
  } | null;
  servername: string | null;
  alpnProtocol: string | null;
  sessionReused: boolean;
  authorized: boolean;
  authorizationError: string | null;
  peerAddress: string | null;
  peerPort: number | null;
  localAddress: string | null;
  localPort: number | null;
  bytesRead: number;
  bytesWritten: number;
  /** ISO 8601: when the handshake completed; null before. */
  connectedAt: string | null;
  isServer: boolean;
}

export interface UvtlsServerOptions extends NodeTls.TlsOptions {
  /** Classic NPN (TLS 1.2). */
  NPNProtocols?: string[] | Buffer | Uint8Array;
  /** SO_REUSEPORT: several processes listen on one port. */
  reusePort?: boolean;
}

export class TLSSocket extends NodeTls.TLSSocket {
  /** The NPN protocol agreed on, or false. */
  npnProtocol: string | false;
  /**
   * The identity in the peer's certificate. Throws ERR_UVTLS_NO_PEER_CERTIFICATE,
   * ERR_UVTLS_IDENTITY_NOT_FOUND or ERR_INVALID_ARG_VALUE (each with a `hint`).
   */
  getPeerIdentity(options: PeerIdentityOptions): string;
  /** A plain-object snapshot; after the close, what is still known. */
  getConnectionInfo(): ConnectionInfo;
  /**
   * On a client: null when the server asked for no client certificate, else the CA names it
   * accepts (RFC 4514). Answers while open and after a failed handshake; null after a normal close and on a server.
   */
  getCertificateRequest(): { caNames: string[] } | null;
}

export class Server extends NodeTls.Server {
  /** The classic count of open connections. */
  readonly connections: number;
  /** getConnectionInfo() of every open connection past its handshake. */
  getConnectionsInfo(): ConnectionInfo[];
}

export function connect(options: UvtlsConnectionOptions, secureConnectListener?: () => void): TLSSocket;
export function connect(port: number, host?: string, options?: UvtlsConnectionOptions,
  secureConnectListener?: () => void): TLSSocket;
export function connect(port: number, options?: UvtlsConnectionOptions,
  secureConnectListener?: () => void): TLSSocket;
export function createServer(secureConnectionListener?: (socket: TLSSocket) => void): Server;
export function createServer(options: UvtlsServerOptions,
  secureConnectionListener?: (socket: TLSSocket) => void): Server;
export const checkServerIdentity: typeof NodeTls.checkServerIdentity;

// --- Drop-in (docs/interop.md) -------------------------------------------------------------
/**
 * Routes `require('tls')` / `require('node:tls')` (connect, createServer, createSecureContext,
 * SecureContext, TLSSocket, Server, createSecurePair) through uvtls; calls made by Node's own
 * `https`/`http2` stay on Node's TLS. Returns false (no change) when already installed.
 */
export function install(): boolean;
/** Puts Node's original functions back. Returns false when not installed. */
export function uninstall(): boolean;
export function isInstalled(): boolean;
