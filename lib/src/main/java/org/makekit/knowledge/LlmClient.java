package org.makekit.knowledge;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.time.Duration;
import org.makekit.util.KitException;

/**
 * A client for any OpenAI-compatible chat endpoint ({@code POST {baseUrl}/chat/completions}).
 * Retries server errors (5xx, 429), timeouts and malformed replies with exponential backoff;
 * other client errors fail at once. The API key is sent as a bearer token and never logged.
 */
public final class LlmClient {
    /** Endpoint settings. {@code apiKey} may be null for local servers. */
    public record Settings(String baseUrl, String model, String apiKey, Duration timeout, int maxRetries,
                           Duration backoff) {
        /** From the environment: MAKEKIT_LLM_BASE_URL, MAKEKIT_LLM_MODEL and the key in MAKEKIT_LLM_API_KEY or OPENAI_API_KEY. */
        public static Settings fromEnv(String baseUrl, String model) {
            String key = System.getenv("MAKEKIT_LLM_API_KEY");
            if (key == null) key = System.getenv("OPENAI_API_KEY");
            String url = baseUrl != null ? baseUrl : System.getenv().getOrDefault("MAKEKIT_LLM_BASE_URL", "https://api.openai.com/v1");
            String m = model != null ? model : System.getenv("MAKEKIT_LLM_MODEL");
            if (m == null) throw new KitException("no LLM model given: pass --llm-model or set MAKEKIT_LLM_MODEL");
            return new Settings(url, m, key, Duration.ofSeconds(60), 5, Duration.ofMillis(500));
        }

        @Override
        public String toString() {
            return "LLM endpoint " + baseUrl + " model " + model + (apiKey != null ? " (API key set)" : " (no API key)");
        }
    }

    private final Settings settings;
    private final HttpClient http;

    public LlmClient(Settings settings) {
        this.settings = settings;
        this.http = HttpClient.newBuilder().connectTimeout(settings.timeout()).build();
    }

    public Settings settings() {
        return settings;
    }

    /** The assistant's reply to a system and a user message, after retries. */
    public String chat(String system, String user) throws InterruptedException {
        JsonArray msgs = new JsonArray();
        msgs.add(message("system", system));
        msgs.add(message("user", user));
        return chat(msgs, 0).content();
    }

    /** A reply and why it ended ("stop", or "length" when max_tokens cut it). */
    public record Reply(String content, String finishReason) {
        public boolean truncated() {
            return "length".equals(finishReason);
        }
    }

    /**
     * The reply to a system message and a user message with images, as the OpenAI chat protocol
     * carries them: the user content is a list of a text part and {@code image_url} parts holding
     * base64 data URLs. {@code maxTokens} > 0 caps the answer.
     */
    public Reply chatWithImages(String system, String user, List<Path> images, int maxTokens) throws InterruptedException {
        JsonArray msgs = new JsonArray();
        msgs.add(message("system", system));
        JsonObject u = new JsonObject();
        u.addProperty("role", "user");
        JsonArray parts = new JsonArray();
        JsonObject text = new JsonObject();
        text.addProperty("type", "text");
        text.addProperty("text", user);
        parts.add(text);
        for (Path img : images) {
            JsonObject part = new JsonObject();
            part.addProperty("type", "image_url");
            JsonObject url = new JsonObject();
            url.addProperty("url", dataUrl(img));
            part.add("image_url", url);
            parts.add(part);
        }
        u.add("content", parts);
        msgs.add(u);
        return chat(msgs, maxTokens);
    }

    /** An image file as a data URL (the type from the file name: png, jpeg, webp; else png). */
    static String dataUrl(Path img) {
        String n = img.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        String type = n.endsWith(".jpg") || n.endsWith(".jpeg") ? "image/jpeg" : n.endsWith(".webp") ? "image/webp" : "image/png";
        try {
            return "data:" + type + ";base64," + java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(img));
        } catch (IOException e) {
            throw new KitException("cannot read image " + img, e);
        }
    }

    /** Sends the messages; retries 5xx, 429, timeouts and malformed bodies. */
    public Reply chat(JsonArray msgs, int maxTokens) throws InterruptedException {
        JsonObject body = new JsonObject();
        body.addProperty("model", settings.model());
        body.addProperty("temperature", 0);
        if (maxTokens > 0) body.addProperty("max_tokens", maxTokens);
        body.add("messages", msgs);
        String url = settings.baseUrl().replaceAll("/+$", "") + "/chat/completions";
        String lastError = null;
        for (int attempt = 0; attempt <= settings.maxRetries(); attempt++) {
            if (attempt > 0) Thread.sleep(settings.backoff().toMillis() * (1L << Math.min(attempt - 1, 6)));
            HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(url)).timeout(settings.timeout())
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
            if (settings.apiKey() != null) rb.header("Authorization", "Bearer " + settings.apiKey());
            HttpResponse<String> resp;
            try {
                resp = http.send(rb.build(), HttpResponse.BodyHandlers.ofString());
            } catch (HttpTimeoutException e) {
                lastError = "timed out after " + settings.timeout().toSeconds() + " s";
                continue;
            } catch (IOException e) {
                lastError = "connection failed: " + e.getMessage();
                continue;
            }
            int code = resp.statusCode();
            if (code == 429 || code >= 500) {
                lastError = "HTTP " + code;
                continue;
            }
            if (code != 200) {
                throw new KitException(settings.baseUrl() + " answered HTTP " + code + " (check the model name and the API key)"
                        + ": " + abbreviate(resp.body()));
            }
            try {
                JsonObject o = org.makekit.util.Json.parse(resp.body()).getAsJsonObject();
                JsonObject choice = o.getAsJsonArray("choices").get(0).getAsJsonObject();
                String finish = choice.has("finish_reason") && !choice.get("finish_reason").isJsonNull()
                        ? choice.get("finish_reason").getAsString() : "stop";
                return new Reply(choice.getAsJsonObject("message").get("content").getAsString(), finish);
            } catch (RuntimeException e) {
                lastError = "malformed reply: " + abbreviate(resp.body());
            }
        }
        throw new KitException(settings.baseUrl() + ": no usable answer after " + (settings.maxRetries() + 1)
                + " attempts (last: " + lastError + ")");
    }

    private static JsonObject message(String role, String content) {
        JsonObject m = new JsonObject();
        m.addProperty("role", role);
        m.addProperty("content", content);
        return m;
    }

    private static String abbreviate(String s) {
        if (s == null) return "";
        s = s.replaceAll("\\s+", " ");
        return s.length() > 160 ? s.substring(0, 160) + "..." : s;
    }
}
