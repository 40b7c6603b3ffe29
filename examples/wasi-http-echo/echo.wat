;; A wasi:http/proxy component (WASI 0.2), written by hand: this core module follows the
;; canonical ABI for wasi:http/incoming-handler and `jco embed` + `jco new` wrap it.
;; Answers every request with its method, path and query, headers and body as text.
;; A request header `x-status: NNN` (three digits) sets the response status.
(module
  (import "wasi:http/types@0.2.12" "[method]incoming-request.method" (func $req_method (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[method]incoming-request.path-with-query" (func $req_path (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[method]incoming-request.headers" (func $req_headers (param i32) (result i32)))
  (import "wasi:http/types@0.2.12" "[method]incoming-request.consume" (func $req_consume (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[method]incoming-body.stream" (func $body_stream (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[static]incoming-body.finish" (func $body_finish (param i32) (result i32)))
  (import "wasi:http/types@0.2.12" "[constructor]fields" (func $fields_new (result i32)))
  (import "wasi:http/types@0.2.12" "[method]fields.entries" (func $fields_entries (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[method]fields.append" (func $fields_append (param i32 i32 i32 i32 i32 i32)))
  (import "wasi:http/types@0.2.12" "[constructor]outgoing-response" (func $resp_new (param i32) (result i32)))
  (import "wasi:http/types@0.2.12" "[method]outgoing-response.set-status-code" (func $resp_status (param i32 i32) (result i32)))
  (import "wasi:http/types@0.2.12" "[method]outgoing-response.body" (func $resp_body (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[method]outgoing-body.write" (func $out_write (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[static]outgoing-body.finish" (func $out_finish (param i32 i32 i32 i32)))
  ;; set(param, result<outgoing-response, error-code>) flattened: the result is a discriminant and the joined payloads of both cases.
  (import "wasi:http/types@0.2.12" "[static]response-outparam.set" (func $outparam_set (param i32 i32 i32 i32 i64 i32 i32 i32 i32)))
  (import "wasi:http/types@0.2.12" "[resource-drop]incoming-request" (func $drop_request (param i32)))
  (import "wasi:http/types@0.2.12" "[resource-drop]fields" (func $drop_fields (param i32)))
  (import "wasi:http/types@0.2.12" "[resource-drop]future-trailers" (func $drop_trailers (param i32)))
  (import "wasi:io/streams@0.2.12" "[method]input-stream.blocking-read" (func $read (param i32 i64 i32)))
  (import "wasi:io/streams@0.2.12" "[method]output-stream.blocking-write-and-flush" (func $write (param i32 i32 i32 i32)))
  (import "wasi:io/streams@0.2.12" "[resource-drop]input-stream" (func $drop_in (param i32)))
  (import "wasi:io/streams@0.2.12" "[resource-drop]output-stream" (func $drop_out (param i32)))
  (import "wasi:cli/stdout@0.2.12" "get-stdout" (func $stdout (result i32)))

  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  ;; method names, 8 bytes apart, in the order of wasi:http's `method` variant; their lengths
  (data (i32.const 0) "GET     HEAD    POST    PUT     DELETE  CONNECT OPTIONS TRACE   PATCH   ")
  (data (i32.const 80) "\03\04\04\03\06\07\07\05\05")
  (data (i32.const 96) "content-type")                 ;; 12
  (data (i32.const 112) "text/plain; charset=utf-8")   ;; 25
  (data (i32.const 144) "x-component")                 ;; 11
  (data (i32.const 160) "wasi:http/proxy")             ;; 15
  (data (i32.const 176) "x-status")                    ;; 8
  (data (i32.const 192) "wasi-http-echo handled a request\n") ;; 33
  ;; 1024..1279: return areas for calls whose results do not fit in one value

  ;; cabi_realloc(old_ptr, old_size, align, new_size): a bump allocator, reset after each request.
  (func $realloc (export "cabi_realloc") (param $old i32) (param $oldSize i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1))) (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (call $reserve (global.get $heap))
    (if (i32.ne (local.get $oldSize) (i32.const 0))
      (then (memory.copy (local.get $p) (local.get $old) (local.get $oldSize))))
    (local.get $p))

  (func $reserve (param $end i32)
    (block $ok (loop $grow
      (br_if $ok (i32.le_u (local.get $end) (i32.mul (memory.size) (i32.const 65536))))
      (if (i32.lt_s (memory.grow (i32.const 1)) (i32.const 0)) (then unreachable))
      (br $grow))))

  ;; Appends bytes at the top of the heap: the response body is built there.
  (func $emit (param $p i32) (param $n i32)
    (call $reserve (i32.add (global.get $heap) (local.get $n)))
    (memory.copy (global.get $heap) (local.get $p) (local.get $n))
    (global.set $heap (i32.add (global.get $heap) (local.get $n))))
  (func $emit_byte (param $b i32)
    (call $reserve (i32.add (global.get $heap) (i32.const 1)))
    (i32.store8 (global.get $heap) (local.get $b))
    (global.set $heap (i32.add (global.get $heap) (i32.const 1))))

  ;; Writes bytes to an output stream, 4096 at a time (the most blocking-write-and-flush must accept).
  (func $write_all (param $s i32) (param $p i32) (param $n i32)
    (local $k i32)
    (block $done (loop $more
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $k (select (local.get $n) (i32.const 4096) (i32.lt_u (local.get $n) (i32.const 4096))))
      (call $write (local.get $s) (local.get $p) (local.get $k) (i32.const 1024))
      (if (i32.load8_u (i32.const 1024)) (then unreachable))
      (local.set $p (i32.add (local.get $p) (local.get $k)))
      (local.set $n (i32.sub (local.get $n) (local.get $k)))
      (br $more))))

  (func $is_x_status (param $p i32) (param $n i32) (result i32)
    (if (i32.ne (local.get $n) (i32.const 8)) (then (return (i32.const 0))))
    (i64.eq (i64.load (local.get $p)) (i64.load (i32.const 176))))

  (func $digit (param $p i32) (result i32)
    (i32.sub (i32.load8_u (local.get $p)) (i32.const 48)))

  (func (export "wasi:http/incoming-handler@0.2.12#handle") (param $req i32) (param $outparam i32)
    (local $status i32) (local $i i32) (local $e i32) (local $n i32)
    (local $list i32) (local $count i32) (local $hdrs i32) (local $start i32)
    (local $body i32) (local $in i32) (local $resp i32) (local $ob i32) (local $os i32)
    (local.set $status (i32.const 200))
    ;; method: variant { get, head, …, other(string) } at 1024 (tag u8, string at +4)
    (call $req_method (local.get $req) (i32.const 1024))
    ;; path-with-query: option<string> at 1040
    (call $req_path (local.get $req) (i32.const 1040))
    ;; headers: list<tuple<string, list<u8>>> at 1056
    (local.set $hdrs (call $req_headers (local.get $req)))
    (call $fields_entries (local.get $hdrs) (i32.const 1056))
    (local.set $list (i32.load (i32.const 1056)))
    (local.set $count (i32.load (i32.const 1060)))

    ;; The response body starts here: "METHOD /path?query\n", a line per header, an empty line, the body.
    (local.set $start (global.get $heap))
    (local.set $n (i32.load8_u (i32.const 1024)))
    (if (i32.eq (local.get $n) (i32.const 9))
      (then (call $emit (i32.load (i32.const 1028)) (i32.load (i32.const 1032))))
      (else (call $emit (i32.mul (local.get $n) (i32.const 8)) (i32.load8_u (i32.add (i32.const 80) (local.get $n))))))
    (call $emit_byte (i32.const 32))
    (if (i32.load8_u (i32.const 1040))
      (then (call $emit (i32.load (i32.const 1044)) (i32.load (i32.const 1048)))))
    (call $emit_byte (i32.const 10))
    (local.set $i (i32.const 0))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
      (local.set $e (i32.add (local.get $list) (i32.mul (local.get $i) (i32.const 16))))
      (call $emit (i32.load (local.get $e)) (i32.load offset=4 (local.get $e)))
      (call $emit_byte (i32.const 58))
      (call $emit_byte (i32.const 32))
      (call $emit (i32.load offset=8 (local.get $e)) (i32.load offset=12 (local.get $e)))
      (call $emit_byte (i32.const 10))
      ;; x-status: three digits from 200 to 599 set the status
      (if (i32.and (call $is_x_status (i32.load (local.get $e)) (i32.load offset=4 (local.get $e)))
                   (i32.eq (i32.load offset=12 (local.get $e)) (i32.const 3)))
        (then
          (local.set $n (i32.add (i32.add
            (i32.mul (call $digit (i32.load offset=8 (local.get $e))) (i32.const 100))
            (i32.mul (call $digit (i32.add (i32.load offset=8 (local.get $e)) (i32.const 1))) (i32.const 10)))
            (call $digit (i32.add (i32.load offset=8 (local.get $e)) (i32.const 2)))))
          (if (i32.and (i32.ge_u (local.get $n) (i32.const 200)) (i32.le_u (local.get $n) (i32.const 599)))
            (then (local.set $status (local.get $n))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (call $emit_byte (i32.const 10))
    (call $drop_fields (local.get $hdrs))

    ;; body: consume -> stream -> blocking-read until closed; each chunk lands at the top of the heap,
    ;; right after what was emitted, so the response body stays contiguous.
    (call $req_consume (local.get $req) (i32.const 1024))
    (if (i32.load8_u (i32.const 1024)) (then unreachable))
    (local.set $body (i32.load (i32.const 1028)))
    (call $body_stream (local.get $body) (i32.const 1024))
    (if (i32.load8_u (i32.const 1024)) (then unreachable))
    (local.set $in (i32.load (i32.const 1028)))
    (block $eof (loop $chunk
      (call $read (local.get $in) (i64.const 65536) (i32.const 1024))
      ;; result<list<u8>, stream-error>: an error (closed, or a failure) ends the body
      (br_if $eof (i32.load8_u (i32.const 1024)))
      (br $chunk)))
    (call $drop_in (local.get $in))
    (call $drop_trailers (call $body_finish (local.get $body)))
    (call $drop_request (local.get $req))

    ;; response: headers, status, body through an output stream, then hand it to the outparam
    (local.set $hdrs (call $fields_new))
    (call $fields_append (local.get $hdrs) (i32.const 96) (i32.const 12) (i32.const 112) (i32.const 25) (i32.const 1024))
    (call $fields_append (local.get $hdrs) (i32.const 144) (i32.const 11) (i32.const 160) (i32.const 15) (i32.const 1024))
    (local.set $resp (call $resp_new (local.get $hdrs)))
    (drop (call $resp_status (local.get $resp) (local.get $status)))
    (call $resp_body (local.get $resp) (i32.const 1024))
    (local.set $ob (i32.load (i32.const 1028)))
    (call $out_write (local.get $ob) (i32.const 1024))
    (local.set $os (i32.load (i32.const 1028)))
    (call $write_all (local.get $os) (local.get $start) (i32.sub (global.get $heap) (local.get $start)))
    (call $drop_out (local.get $os))
    (call $out_finish (local.get $ob) (i32.const 0) (i32.const 0) (i32.const 1024))
    (call $outparam_set (local.get $outparam) (i32.const 0) (local.get $resp) (i32.const 0) (i64.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))

    ;; a line on stdout: the host logs it like console.log
    (local.set $os (call $stdout))
    (call $write_all (local.get $os) (i32.const 192) (i32.const 33))
    (call $drop_out (local.get $os))
    (global.set $heap (i32.const 4096)))
)
