;; The parser's fast loops (snapshot-parser.ts): whole node and edge records as V8 writes them
;; (`9,1,1,0,7,0,0` and `1,2,3`, each record after `\n,`), then whole strings and location numbers,
;; straight into output columns, no state kept per byte. They stop at the first byte that is not
;; that layout (a `]`, a space, a record cut by the input's end, an edge past the last node), at the
;; last whole record, and the parser's resumable loops read on from there (and say what is wrong, if
;; anything is).
;;
;; WebAssembly rather than JavaScript because a snapshot is parsed once per process: JavaScript
;; loops spend their first megabytes in V8's interpreter while TurboFan compiles them (3-8 ms a
;; compile, twice per loop), where V8 compiles this module's functions at once to machine code
;; (Liftoff). Cold, on a 20 MB snapshot's 12.8 MB of edges: 30 ms in JavaScript, 15 ms here.
;;
;; The caller (record-scan.ts) lays out the memory: the input bytes at some offset, zeroed past their
;; end (a zero is neither a digit nor a separator, so no number runs past the input), and the output
;; columns, one entry per record read by this call. Addresses and lengths are i32 byte offsets.
;; Numbers wrap modulo 2^32 as they do when JavaScript stores them into a Uint32Array.
;;
;; Built into record-scan-wasm.ts by scripts/build-wasm.mjs (wabt); a unit test checks the two match.
(module
  (memory (export "memory") 1)
  ;; The input position after the last whole record of the last call.
  (global $stop (export "stop") (mut i32) (i32.const 0))

  ;; Node records of `fields` numbers from `i` while they start before `end` and end before `length`,
  ;; at most `limit` of them. `kinds` holds a byte per field: 0 not kept, 1 type (a byte), 2 name,
  ;; 3 id, 4 self size, 5 edge count (each 4 bytes). Returns the records read.
  (func (export "nodes")
    (param $i i32) (param $end i32) (param $length i32) (param $limit i32)
    (param $fields i32) (param $kinds i32)
    (param $typeOut i32) (param $nameOut i32) (param $idOut i32) (param $selfOut i32) (param $edgesOut i32)
    (result i32)
    (local $read i32) (local $c i32) (local $d i32) (local $f i32) (local $v i32)
    (local $type i32) (local $name i32) (local $id i32) (local $self i32) (local $edges i32)
    (global.set $stop (local.get $i))
    (block $done
      (loop $record
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (br_if $done (i32.ge_u (local.get $read) (local.get $limit)))
        ;; the separators before a record: `,` and `\n`
        (local.set $c (i32.load8_u (local.get $i)))
        (block $separated
          (loop $separator
            (br_if $separated (i32.and (i32.ne (local.get $c) (i32.const 0x2c)) (i32.ne (local.get $c) (i32.const 0x0a))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (local.set $c (i32.load8_u (local.get $i)))
            (br $separator)))
        (local.set $f (i32.const 0))
        (loop $field
          (if (local.get $f)
            (then
              (br_if $done (i32.ne (local.get $c) (i32.const 0x2c)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (local.set $c (i32.load8_u (local.get $i)))))
          (br_if $done (i32.gt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 9)))
          (local.set $v (i32.const 0))
          (block $number
            (loop $digit
              (local.set $d (i32.sub (local.get $c) (i32.const 0x30)))
              (br_if $number (i32.gt_u (local.get $d) (i32.const 9)))
              (local.set $v (i32.add (i32.mul (local.get $v) (i32.const 10)) (local.get $d)))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (local.set $c (i32.load8_u (local.get $i)))
              (br $digit)))
          (block $kept
            (block $edgeCount
              (block $selfSize
                (block $nodeId
                  (block $nodeName
                    (block $nodeType
                      (br_table $kept $nodeType $nodeName $nodeId $selfSize $edgeCount $kept
                        (i32.load8_u (i32.add (local.get $kinds) (local.get $f)))))
                    (local.set $type (local.get $v))
                    (br $kept))
                  (local.set $name (local.get $v))
                  (br $kept))
                (local.set $id (local.get $v))
                (br $kept))
              (local.set $self (local.get $v))
              (br $kept))
            (local.set $edges (local.get $v)))
          (local.set $f (i32.add (local.get $f) (i32.const 1)))
          (br_if $field (i32.lt_u (local.get $f) (local.get $fields))))
        (br_if $done (i32.ge_u (local.get $i) (local.get $length)))
        (i32.store8 (i32.add (local.get $typeOut) (local.get $read)) (local.get $type))
        (i32.store (i32.add (local.get $nameOut) (i32.shl (local.get $read) (i32.const 2))) (local.get $name))
        (i32.store (i32.add (local.get $idOut) (i32.shl (local.get $read) (i32.const 2))) (local.get $id))
        (i32.store (i32.add (local.get $selfOut) (i32.shl (local.get $read) (i32.const 2))) (local.get $self))
        (i32.store (i32.add (local.get $edgesOut) (i32.shl (local.get $read) (i32.const 2))) (local.get $edges))
        (local.set $read (i32.add (local.get $read) (i32.const 1)))
        (global.set $stop (local.get $i))
        (br $record)))
    (local.get $read))

  ;; Edge records in V8's field order (type, name_or_index, to_node) from `i`, as `nodes`. `to_node`
  ;; is an offset in the nodes array, stored as the node ordinal: the offset divided by `perNode`,
  ;; rounded as Math.round does. An edge to no node (ordinal >= `nodeCount`) stops the loop.
  (func (export "edges")
    (param $i i32) (param $end i32) (param $length i32) (param $limit i32)
    (param $perNode i32) (param $nodeCount i32)
    (param $typeOut i32) (param $nameOut i32) (param $toOut i32)
    (result i32)
    (local $read i32) (local $c i32) (local $d i32) (local $type i32) (local $name i32) (local $to i32)
    (local $offset i64) (local $ordinal i64)
    (global.set $stop (local.get $i))
    (block $done
      (loop $record
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (br_if $done (i32.ge_u (local.get $read) (local.get $limit)))
        (local.set $c (i32.load8_u (local.get $i)))
        (block $separated
          (loop $separator
            (br_if $separated (i32.and (i32.ne (local.get $c) (i32.const 0x2c)) (i32.ne (local.get $c) (i32.const 0x0a))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (local.set $c (i32.load8_u (local.get $i)))
            (br $separator)))
        ;; type
        (br_if $done (i32.gt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 9)))
        (local.set $type (i32.const 0))
        (block $number
          (loop $digit
            (local.set $d (i32.sub (local.get $c) (i32.const 0x30)))
            (br_if $number (i32.gt_u (local.get $d) (i32.const 9)))
            (local.set $type (i32.add (i32.mul (local.get $type) (i32.const 10)) (local.get $d)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (local.set $c (i32.load8_u (local.get $i)))
            (br $digit)))
        ;; name_or_index
        (br_if $done (i32.ne (local.get $c) (i32.const 0x2c)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $c (i32.load8_u (local.get $i)))
        (br_if $done (i32.gt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 9)))
        (local.set $name (i32.const 0))
        (block $number
          (loop $digit
            (local.set $d (i32.sub (local.get $c) (i32.const 0x30)))
            (br_if $number (i32.gt_u (local.get $d) (i32.const 9)))
            (local.set $name (i32.add (i32.mul (local.get $name) (i32.const 10)) (local.get $d)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (local.set $c (i32.load8_u (local.get $i)))
            (br $digit)))
        ;; to_node
        (br_if $done (i32.ne (local.get $c) (i32.const 0x2c)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (local.set $c (i32.load8_u (local.get $i)))
        (br_if $done (i32.gt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 9)))
        (local.set $offset (i64.const 0))
        (block $number
          (loop $digit
            (local.set $d (i32.sub (local.get $c) (i32.const 0x30)))
            (br_if $number (i32.gt_u (local.get $d) (i32.const 9)))
            (local.set $offset (i64.add (i64.mul (local.get $offset) (i64.const 10)) (i64.extend_i32_u (local.get $d))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (local.set $c (i32.load8_u (local.get $i)))
            (br $digit)))
        (br_if $done (i32.ge_u (local.get $i) (local.get $length)))
        ;; Math.round(offset / perNode) = floor((2 offset + perNode) / (2 perNode)), exact in integers
        (local.set $ordinal
          (i64.div_u
            (i64.add (i64.shl (local.get $offset) (i64.const 1)) (i64.extend_i32_u (local.get $perNode)))
            (i64.shl (i64.extend_i32_u (local.get $perNode)) (i64.const 1))))
        (br_if $done (i64.ge_u (local.get $ordinal) (i64.extend_i32_u (local.get $nodeCount))))
        (local.set $to (i32.wrap_i64 (local.get $ordinal)))
        (i32.store8 (i32.add (local.get $typeOut) (local.get $read)) (local.get $type))
        (i32.store (i32.add (local.get $nameOut) (i32.shl (local.get $read) (i32.const 2))) (local.get $name))
        (i32.store (i32.add (local.get $toOut) (i32.shl (local.get $read) (i32.const 2))) (local.get $to))
        (local.set $read (i32.add (local.get $read) (i32.const 1)))
        (global.set $stop (local.get $i))
        (br $record)))
    (local.get $read))
;; Strings of the `strings` section from `i`: each whole string (its closing quote before `length`)
  ;; gives its content's span [after the opening quote, at the closing quote), plus `bias`, at
  ;; `spansOut` (two i32 each) and a byte at `escapedOut`, 1 when it holds a backslash escape. Commas
  ;; and whitespace between strings are skipped; anything else (the closing `]`) stops the loop.
  (func (export "strings")
    (param $i i32) (param $end i32) (param $length i32) (param $limit i32)
    (param $bias i32) (param $spansOut i32) (param $escapedOut i32)
    (result i32)
    (local $read i32) (local $c i32) (local $j i32) (local $escaped i32)
    (global.set $stop (local.get $i))
    (block $done
      (loop $string
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (br_if $done (i32.ge_u (local.get $read) (local.get $limit)))
        (local.set $c (i32.load8_u (local.get $i)))
        ;; `,` space `\n` `\r` `\t` between strings
        (if (i32.or (i32.or (i32.eq (local.get $c) (i32.const 0x2c)) (i32.eq (local.get $c) (i32.const 0x20)))
                    (i32.or (i32.eq (local.get $c) (i32.const 0x0a))
                            (i32.or (i32.eq (local.get $c) (i32.const 0x0d)) (i32.eq (local.get $c) (i32.const 0x09)))))
          (then
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $string)))
        (br_if $done (i32.ne (local.get $c) (i32.const 0x22)))
        (local.set $j (i32.add (local.get $i) (i32.const 1)))
        (local.set $escaped (i32.const 0))
        (block $closed
          (loop $char
            (local.set $c (i32.load8_u (local.get $j)))
            (br_if $closed (i32.eq (local.get $c) (i32.const 0x22)))
            ;; JSON has no raw zero byte in a string: the zeroed margin, the string is cut
            (br_if $done (i32.eqz (local.get $c)))
            (if (i32.eq (local.get $c) (i32.const 0x5c))
              (then
                (local.set $escaped (i32.const 1))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $char)))
        (br_if $done (i32.ge_u (local.get $j) (local.get $length)))
        (i32.store (i32.add (local.get $spansOut) (i32.shl (local.get $read) (i32.const 3)))
          (i32.add (i32.add (local.get $i) (i32.const 1)) (local.get $bias)))
        (i32.store (i32.add (local.get $spansOut) (i32.add (i32.shl (local.get $read) (i32.const 3)) (i32.const 4)))
          (i32.add (local.get $j) (local.get $bias)))
        (i32.store8 (i32.add (local.get $escapedOut) (local.get $read)) (local.get $escaped))
        (local.set $read (i32.add (local.get $read) (i32.const 1)))
        (local.set $i (i32.add (local.get $j) (i32.const 1)))
        (global.set $stop (local.get $i))
        (br $string)))
    (local.get $read))

  ;; Numbers separated by commas and whitespace from `i` (the `locations` section), each ended before
  ;; `length`, into `out` (an i32 each); a negative number (Node 24 writes -1 for an unknown position)
  ;; is stored as 0xffffffff. Anything else (the closing `]`) stops the loop.
  (func (export "numbers")
    (param $i i32) (param $end i32) (param $length i32) (param $limit i32) (param $out i32)
    (result i32)
    (local $read i32) (local $c i32) (local $d i32) (local $v i32) (local $negative i32)
    (global.set $stop (local.get $i))
    (block $done
      (loop $number
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (br_if $done (i32.ge_u (local.get $read) (local.get $limit)))
        (local.set $c (i32.load8_u (local.get $i)))
        (if (i32.or (i32.or (i32.eq (local.get $c) (i32.const 0x2c)) (i32.eq (local.get $c) (i32.const 0x20)))
                    (i32.or (i32.eq (local.get $c) (i32.const 0x0a))
                            (i32.or (i32.eq (local.get $c) (i32.const 0x0d)) (i32.eq (local.get $c) (i32.const 0x09)))))
          (then
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $number)))
        (local.set $negative (i32.eq (local.get $c) (i32.const 0x2d)))
        (if (local.get $negative)
          (then
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (local.set $c (i32.load8_u (local.get $i)))))
        (br_if $done (i32.gt_u (i32.sub (local.get $c) (i32.const 0x30)) (i32.const 9)))
        (local.set $v (i32.const 0))
        (block $digits
          (loop $digit
            (local.set $d (i32.sub (local.get $c) (i32.const 0x30)))
            (br_if $digits (i32.gt_u (local.get $d) (i32.const 9)))
            (local.set $v (i32.add (i32.mul (local.get $v) (i32.const 10)) (local.get $d)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (local.set $c (i32.load8_u (local.get $i)))
            (br $digit)))
        (br_if $done (i32.ge_u (local.get $i) (local.get $length)))
        (i32.store (i32.add (local.get $out) (i32.shl (local.get $read) (i32.const 2)))
          (select (i32.const -1) (local.get $v) (local.get $negative)))
        (local.set $read (i32.add (local.get $read) (i32.const 1)))
        (global.set $stop (local.get $i))
        (br $number)))
    (local.get $read))
)
