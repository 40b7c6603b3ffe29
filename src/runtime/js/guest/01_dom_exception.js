// @ts-check
/*
 * DOMException (WebIDL §3.14.1): the exception class Web APIs throw, with the legacy `code`
 * of the names that had one. Loaded early: every later file may throw one with
 * `ns.domException(message, name)`.
 */
{
  const { define } = ns;
  /** WebIDL's table of legacy names and codes. */
  const LEGACY = {
    IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5, NoModificationAllowedError: 7,
    NotFoundError: 8, NotSupportedError: 9, InvalidStateError: 11, SyntaxError: 12, InvalidModificationError: 13, NamespaceError: 14,
    InvalidAccessError: 15, TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20, URLMismatchError: 21,
    QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24, DataCloneError: 25,
  };
  const NAME = Symbol('DOMException.name');
  const MESSAGE = Symbol('DOMException.message');
  class DOMException extends Error {
    /** @param {unknown} [message] @param {unknown} [options] the name, or `{ name, cause }` */
    constructor(message = '', options = 'Error') {
      const name = options !== null && typeof options === 'object' ? /** @type {{ name?: unknown }} */ (options).name : options;
      super();
      // WebIDL: the name and message are internal slots read through prototype getters, not own properties.
      Object.defineProperty(this, NAME, { value: name === undefined ? 'Error' : String(name) });
      Object.defineProperty(this, MESSAGE, { value: String(message) });
      if (options !== null && typeof options === 'object' && 'cause' in options) {
        Object.defineProperty(this, 'cause', { value: /** @type {{ cause: unknown }} */ (options).cause, writable: true, configurable: true });
      }
      // Error's constructor set an own `message`: the slot above is what the getter reports.
      delete /** @type {any} */ (this).message;
    }
    /** @override */
    get name() { return /** @type {any} */ (this)[NAME]; }
    /** @override */
    get message() { return /** @type {any} */ (this)[MESSAGE]; }
    get code() { return /** @type {Record<string, number>} */ (LEGACY)[/** @type {any} */ (this)[NAME]] ?? 0; }
    get [Symbol.toStringTag]() { return 'DOMException'; }
  }
  // WebIDL's constants, on the interface and its prototype.
  /** @type {[string, number][]} */
  const CONSTANTS = [
    ['INDEX_SIZE_ERR', 1], ['DOMSTRING_SIZE_ERR', 2], ['HIERARCHY_REQUEST_ERR', 3], ['WRONG_DOCUMENT_ERR', 4], ['INVALID_CHARACTER_ERR', 5],
    ['NO_DATA_ALLOWED_ERR', 6], ['NO_MODIFICATION_ALLOWED_ERR', 7], ['NOT_FOUND_ERR', 8], ['NOT_SUPPORTED_ERR', 9], ['INUSE_ATTRIBUTE_ERR', 10],
    ['INVALID_STATE_ERR', 11], ['SYNTAX_ERR', 12], ['INVALID_MODIFICATION_ERR', 13], ['NAMESPACE_ERR', 14], ['INVALID_ACCESS_ERR', 15],
    ['VALIDATION_ERR', 16], ['TYPE_MISMATCH_ERR', 17], ['SECURITY_ERR', 18], ['NETWORK_ERR', 19], ['ABORT_ERR', 20], ['URL_MISMATCH_ERR', 21],
    ['QUOTA_EXCEEDED_ERR', 22], ['TIMEOUT_ERR', 23], ['INVALID_NODE_TYPE_ERR', 24], ['DATA_CLONE_ERR', 25],
  ];
  for (const [key, code] of CONSTANTS) {
    Object.defineProperty(DOMException, key, { value: code, enumerable: true });
    Object.defineProperty(DOMException.prototype, key, { value: code, enumerable: true });
  }
  define('DOMException', DOMException);
  ns.DOMException = DOMException;
  ns.domException = (message, name) => new DOMException(message, name);
}
