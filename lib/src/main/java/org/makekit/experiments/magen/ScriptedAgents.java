package org.makekit.experiments.magen;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scripted stand-in for MAGEN's three agents: one OpenAI-style chat server on 127.0.0.1 that the
 * tests and notebook 07 (when no real endpoint is set) talk to. Its captions and verdicts are
 * templates, not a model's reading of the image: never train on them. It checks the protocol (a text part and base64 PNG image_url parts for agents 2 and 3),
 * answers deterministically, counts requests per (agent, item), and misbehaves on cue by image:
 * {@code behaviour} maps an image's SHA-256 (hex, first 12) to FAIL500 (first request), STALL (first
 * request slower than the client's timeout), MALFORMED (agent 3 answers prose), TRUNCATED (agent 3's
 * JSON cut, finish_reason "length") or FENCED (agent 3's JSON in a code fence).
 */
public final class ScriptedAgents implements AutoCloseable {
    final HttpServer server;
    public final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    public final AtomicInteger total = new AtomicInteger();
    public final Map<String, String> behaviour = new ConcurrentHashMap<>();
    public final AtomicInteger protocolErrors = new AtomicInteger();
    public volatile long delayMillis;
    public volatile long stallMillis = 3000;
    /** The diagnosis agent 3 answers for every row (null: the first candidate it was shown, else the caption's). */
    public volatile String verdict = "psoriasis";

    public ScriptedAgents() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(Executors.newFixedThreadPool(16));
        server.createContext("/v1/chat/completions", this::handle);
        server.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    public int count(String agent, String item) {
        AtomicInteger n = requests.get(agent + "|" + item);
        return n == null ? 0 : n.get();
    }

    static String sha(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b)).substring(0, 12);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        JsonObject req = org.makekit.util.Json.parse(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)).getAsJsonObject();
        JsonArray msgs = req.getAsJsonArray("messages");
        String system = msgs.get(0).getAsJsonObject().get("content").getAsString();
        JsonElement content = msgs.get(1).getAsJsonObject().get("content");
        String agent = system.equals(Magen.CARD_SYSTEM) ? "card" : system.equals(Magen.CAPTION_SYSTEM) ? "caption" : "verify";
        String user;
        String item;
        if (agent.equals("card")) {
            user = content.getAsString();
            item = user.lines().findFirst().orElse("").replaceFirst("^NAME: ", "");
        } else {
            // Agents 2 and 3: a text part, then one image as a base64 PNG data URL.
            JsonArray parts = content.getAsJsonArray();
            user = parts.get(0).getAsJsonObject().get("text").getAsString();
            String url = parts.get(1).getAsJsonObject().getAsJsonObject("image_url").get("url").getAsString();
            byte[] png = url.startsWith("data:image/png;base64,") ? Base64.getDecoder().decode(url.substring(22)) : new byte[0];
            boolean ok = parts.get(0).getAsJsonObject().get("type").getAsString().equals("text")
                    && parts.get(1).getAsJsonObject().get("type").getAsString().equals("image_url")
                    && png.length > 8 && (png[1] & 0xff) == 'P' && (png[2] & 0xff) == 'N' && (png[3] & 0xff) == 'G';
            if (!ok) protocolErrors.incrementAndGet();
            item = sha(png);
        }
        int n = requests.computeIfAbsent(agent + "|" + item, k -> new AtomicInteger()).incrementAndGet();
        total.incrementAndGet();
        String cue = behaviour.getOrDefault(item, "");
        try {
            if (delayMillis > 0) Thread.sleep(delayMillis);
            if (cue.equals("FAIL500") && n == 1) {
                send(ex, 500, "{\"error\": \"overloaded\"}");
                return;
            }
            if (cue.equals("STALL") && n == 1) Thread.sleep(stallMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String answer;
        String finish = "stop";
        switch (agent) {
            case "card" -> answer = "NAME: " + item + "\nPOS: well-demarcated plaque, silvery scale\nSITES: elbows, knees\nMINSET: plaque, scale";
            case "caption" -> answer = "A well-demarcated erythematous plaque with silvery scale on the extensor forearm, image "
                    + item + ". The most likely diagnosis is psoriasis.";
            default -> {
                String cap = user.lines().findFirst().orElse("").replaceFirst("^Caption: ", "");
                JsonObject j = new JsonObject();
                j.addProperty("diagnosis", verdict);
                j.addProperty("corrected_caption_paragraph", cap.replace("psoriasis", verdict) + " (verified)");
                answer = switch (cue) {
                    case "MALFORMED" -> "The diagnosis is " + verdict + ".";
                    case "TRUNCATED" -> j.toString().substring(0, j.toString().length() / 2);
                    case "FENCED" -> "```json\n" + j + "\n```";
                    default -> j.toString();
                };
                if (cue.equals("TRUNCATED")) finish = "length";
            }
        }
        send(ex, 200, reply(answer, finish));
    }

    /** A chat-completions response body with one choice. */
    public static String reply(String content, String finishReason) {
        JsonObject msg = new JsonObject();
        msg.addProperty("role", "assistant");
        msg.addProperty("content", content);
        JsonObject choice = new JsonObject();
        choice.add("message", msg);
        choice.addProperty("finish_reason", finishReason);
        JsonArray choices = new JsonArray();
        choices.add(choice);
        JsonObject resp = new JsonObject();
        resp.add("choices", choices);
        return resp.toString();
    }

    /** Sends a JSON body; a client that gave up (timeout) is not an error. */
    public static void send(HttpExchange ex, int code, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        try {
            ex.sendResponseHeaders(code, b.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(b);
            }
        } catch (IOException e) {
            // the client gave up (timeout)
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
