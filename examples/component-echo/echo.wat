;; A WebAssembly component for the edge:host/handler@0.1.0 world, written by hand:
;; this core module follows the canonical ABI and `jco embed` + `jco new` wrap it.
;; GET: a greeting; with a body: the body echoed back.
(module
  (import "$root" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  ;; static data: header strings, the header list, greeting, log line
  (data (i32.const 0) "content-type")            ;; 12 bytes at 0
  (data (i32.const 16) "text/plain; charset=utf-8") ;; 25 bytes at 16
  (data (i32.const 48) "x-component")           ;; 11 bytes at 48
  (data (i32.const 64) "edge:host/handler@0.1.0") ;; 23 bytes at 64
  (data (i32.const 512) "Hello from a WebAssembly component (edge:host/handler@0.1.0)! POST a body and I echo it back.\n") ;; 94 bytes
  (data (i32.const 768) "component-echo handled a request") ;; 32 bytes

  ;; cabi_realloc(old_ptr, old_size, align, new_size): a bump allocator; handle() resets it.
  (func $realloc (export "cabi_realloc") (param $old i32) (param $oldSize i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1))) (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (block $ok (loop $grow
      (br_if $ok (i32.le_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536))))
      (if (i32.lt_s (memory.grow (i32.const 1)) (i32.const 0)) (then unreachable))
      (br $grow)))
    (if (i32.ne (local.get $oldSize) (i32.const 0))
      (then (memory.copy (local.get $p) (local.get $old) (local.get $oldSize))))
    (local.get $p))

  ;; handle(req: request) -> response, flattened: method, url, headers, body as (ptr, len) pairs;
  ;; the response is returned through a pointer to {status u16 @0, headers @4 (ptr,len), body @12 (ptr,len)}.
  (func (export "handle") (param $mp i32) (param $ml i32) (param $up i32) (param $ul i32) (param $hp i32) (param $hl i32) (param $bp i32) (param $bl i32) (result i32)
    (local $out i32) (local $hdrs i32)
    ;; headers: two tuples of (name ptr, name len, value ptr, value len)
    (local.set $hdrs (call $realloc (i32.const 0) (i32.const 0) (i32.const 4) (i32.const 32)))
    (i32.store (local.get $hdrs) (i32.const 0))
    (i32.store offset=4 (local.get $hdrs) (i32.const 12))
    (i32.store offset=8 (local.get $hdrs) (i32.const 16))
    (i32.store offset=12 (local.get $hdrs) (i32.const 25))
    (i32.store offset=16 (local.get $hdrs) (i32.const 48))
    (i32.store offset=20 (local.get $hdrs) (i32.const 11))
    (i32.store offset=24 (local.get $hdrs) (i32.const 64))
    (i32.store offset=28 (local.get $hdrs) (i32.const 23))
    (local.set $out (call $realloc (i32.const 0) (i32.const 0) (i32.const 4) (i32.const 20)))
    (i32.store16 (local.get $out) (i32.const 200))
    (i32.store offset=4 (local.get $out) (local.get $hdrs))
    (i32.store offset=8 (local.get $out) (i32.const 2))
    (if (i32.eqz (local.get $bl))
      (then (local.set $bp (i32.const 512)) (local.set $bl (i32.const 94))))
    (i32.store offset=12 (local.get $out) (local.get $bp))
    (i32.store offset=16 (local.get $out) (local.get $bl))
    (call $log (i32.const 768) (i32.const 32))
    (local.get $out))

  ;; After the host has read the response: free everything.
  (func (export "cabi_post_handle") (param i32)
    (global.set $heap (i32.const 4096)))
)
