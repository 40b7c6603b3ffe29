;; An edge-core-v1 function in hand-written WebAssembly text (docs/host-abi.md §2).
;; GET: a greeting. Any request with a body: the body echoed back, byte for byte.
;; Memory layout: 0..255 response head JSON, 512.. greeting, 768.. log line, 4096.. heap.
(module
  (import "env" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 0) "{\"status\":200,\"headers\":[[\"content-type\",\"text/plain; charset=utf-8\"],[\"x-wasm-abi\",\"edge-core-v1\"]]}")
  (data (i32.const 512) "Hello from WebAssembly (WAT, edge-core-v1)! POST a body and I echo it back.\n")
  (data (i32.const 768) "wasm-echo handled a request")

  ;; Bump allocator: the host asks for room for the request frame; handle() frees everything.
  (func $alloc (export "alloc") (param $len i32) (result i32)
    (local $ptr i32) (local $end i32)
    (local.set $ptr (global.get $heap))
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    ;; grow by whole pages until the allocation fits
    (block $done
      (loop $grow
        (br_if $done (i32.le_u (local.get $end) (i32.mul (memory.size) (i32.const 65536))))
        (if (i32.lt_s (memory.grow (i32.const 1)) (i32.const 0)) (then unreachable))
        (br $grow)))
    (global.set $heap (local.get $end))
    (local.get $ptr))

  ;; handle(ptr, len): the request frame is [u32 head length][head JSON][body].
  ;; Returns (response pointer << 32) | response length.
  (func (export "handle") (param $ptr i32) (param $len i32) (result i64)
    (local $headLen i32) (local $body i32) (local $bodyLen i32) (local $out i32) (local $total i32)
    (local.set $headLen (i32.load (local.get $ptr)))
    (local.set $body (i32.add (i32.add (local.get $ptr) (i32.const 4)) (local.get $headLen)))
    (local.set $bodyLen (i32.sub (local.get $len) (i32.add (i32.const 4) (local.get $headLen))))
    ;; no body: answer with the greeting instead
    (if (i32.eqz (local.get $bodyLen))
      (then (local.set $body (i32.const 512)) (local.set $bodyLen (i32.const 76))))
    (local.set $total (i32.add (i32.const 105) (local.get $bodyLen)))
    (local.set $out (call $alloc (local.get $total)))
    (i32.store (local.get $out) (i32.const 101))
    (memory.copy (i32.add (local.get $out) (i32.const 4)) (i32.const 0) (i32.const 101))
    (memory.copy (i32.add (local.get $out) (i32.const 105)) (local.get $body) (local.get $bodyLen))
    (call $log (i32.const 768) (i32.const 27))
    ;; the response stays readable until the next alloc; start the next request from the bottom
    (global.set $heap (i32.const 4096))
    (i64.or
      (i64.shl (i64.extend_i32_u (local.get $out)) (i64.const 32))
      (i64.extend_i32_u (local.get $total))))

  ;; Declares the ABI this module was built for (optional; checked at deploy).
  (@custom "edge-abi" "edge-core-v1")
)
