package org.makekit.knowledge;

import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OpenAI-style chat server on 127.0.0.1 for tests. It answers from the caption's words, and
 * misbehaves on cue: a caption containing FAIL500 gets HTTP 500 on its first request per kind,
 * STALL a reply slower than the client's timeout once, BADJSON a malformed body once, and
 * ALWAYS500 always fails. It counts requests per (kind, caption).
 */
final class FakeChatServer implements AutoCloseable {
    final HttpServer server;
    final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    final AtomicInteger total = new AtomicInteger();
    volatile long delayMillis;
    volatile long stallMillis = 3000;

    FakeChatServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(Executors.newFixedThreadPool(16));
        server.createContext("/v1/chat/completions", this::handle);
        server.start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    int count(String kind, String caption) {
        AtomicInteger n = requests.get(kind + "|" + caption);
        return n == null ? 0 : n.get();
    }

    private void handle(HttpExchange ex) throws IOException {
        JsonObject req = org.makekit.util.Json.parse(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8))
                .getAsJsonObject();
        String system = req.getAsJsonArray("messages").get(0).getAsJsonObject().get("content").getAsString();
        String user = req.getAsJsonArray("messages").get(1).getAsJsonObject().get("content").getAsString();
        String caption = user.replaceFirst("^Caption: ", "");
        String kind = system.contains("standardise dermatology diagnoses") ? "disease" : "concept";
        int n = requests.computeIfAbsent(kind + "|" + caption, k -> new AtomicInteger()).incrementAndGet();
        total.incrementAndGet();
        try {
            if (delayMillis > 0) Thread.sleep(delayMillis);
            if (caption.contains("ALWAYS500") || (caption.contains("FAIL500") && n == 1)) {
                send(ex, 500, "{\"error\": \"internal\"}");
                return;
            }
            if (caption.contains("STALL") && n == 1) Thread.sleep(stallMillis);
            if (caption.contains("BADJSON") && n == 1) {
                send(ex, 200, "{\"choices\": [ {\"message\": ");
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String lower = caption.toLowerCase();
        String answer;
        if (kind.equals("disease")) {
            answer = lower.contains("psoriasis") ? "[psoriasis]" : lower.contains("melanoma") ? "[melanoma]"
                    : LlmExtractor.NO_DIAGNOSIS;
        } else {
            StringBuilder sb = new StringBuilder();
            for (String c : new String[] {"erythema", "scale", "plaque", "black", "invented-concept"}) {
                if (lower.contains(c)) sb.append(sb.length() > 0 ? ", " : "").append(c);
            }
            answer = sb.length() == 0 ? LlmExtractor.NO_ATTRIBUTES : "[" + sb + "]";
        }
        send(ex, 200, org.makekit.experiments.magen.ScriptedAgents.reply(answer, "stop"));
    }

    private static void send(HttpExchange ex, int code, String body) throws IOException {
        org.makekit.experiments.magen.ScriptedAgents.send(ex, code, body);
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
