#!/usr/bin/env python3
# The mock API behind the capture servers (tools/capture-turns.sh, tools/capture-h3.sh):
#   capture-mock-api.py PORT   (listens on 127.0.0.1:PORT)
# Think time first (nothing is sent before it: no early headers), then the
# answer, streamed or not, shaped like the provider's.
import http.server, json, random, sys, threading, time
rng = random.Random(9)
lock = threading.Lock()
WORDS = ["The", " sky", " looks", " blue", " because", " air", " scatters", " short",
         " wavelengths", " more", " than", " long", " ones;", " Rayleigh", " said", " so."]
def draw():
    with lock:
        return rng.uniform(0.3, 1.5), rng.randint(6, 16)
def openai_chunk(w):
    return {"id": "chatcmpl-9", "object": "chat.completion.chunk", "created": 1764600000,
            "model": "gpt-4o-mini", "choices": [{"index": 0, "delta": {"content": w}, "finish_reason": None}]}
def anthropic_events(n):
    yield "message_start", {"type": "message_start", "message": {"id": "msg_9", "type": "message", "role": "assistant",
        "model": "claude-x", "content": [], "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": 20, "output_tokens": 1}}}
    yield "content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
    for i in range(n):
        yield "content_block_delta", {"type": "content_block_delta", "index": 0,
                                      "delta": {"type": "text_delta", "text": WORDS[i % len(WORDS)]}}
    yield "content_block_stop", {"type": "content_block_stop", "index": 0}
    yield "message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                            "usage": {"output_tokens": n}}
    yield "message_stop", {"type": "message_stop"}
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            req = json.loads(body)
        except ValueError:
            req = {}
        stream = bool(req.get("stream"))
        anthropic = self.path.startswith("/v1/messages")
        think, n = draw()
        time.sleep(think)
        self.send_response(200)
        if self.headers.get("X-Capture-Echo"):
            # Asked by a proxy that cannot log the body's size itself (caddy).
            self.send_header("X-Request-Body-Bytes", str(len(body)))
        if not stream:
            time.sleep(n * 0.04)
            text = "".join(WORDS[i % len(WORDS)] for i in range(n))
            if anthropic:
                ans = {"id": "msg_9", "type": "message", "role": "assistant", "model": "claude-x",
                       "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
                       "usage": {"input_tokens": 20, "output_tokens": n}}
            else:
                ans = {"id": "chatcmpl-9", "object": "chat.completion", "created": 1764600000, "model": "gpt-4o-mini",
                       "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                       "usage": {"prompt_tokens": 20, "completion_tokens": n, "total_tokens": 20 + n}}
            data = json.dumps(ans).encode()
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
            return
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        if anthropic:
            for ev, obj in anthropic_events(n):
                self.chunk(("event: %s\ndata: %s\n\n" % (ev, json.dumps(obj, separators=(",", ":")))).encode())
                time.sleep(0.04)
        else:
            for i in range(n):
                self.chunk(("data: " + json.dumps(openai_chunk(WORDS[i % len(WORDS)]), separators=(",", ":")) + "\n\n").encode())
                time.sleep(0.04)
            self.chunk(b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
