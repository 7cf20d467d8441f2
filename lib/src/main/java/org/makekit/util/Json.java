package org.makekit.util;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;

/**
 * JSON parsing that works with Gson 2.8.5, which the IJava kernel puts on the notebook classpath
 * ahead of the kit's own Gson (JsonParser.parseString only exists from 2.8.6).
 */
public final class Json {
    private Json() {}

    @SuppressWarnings("deprecation")
    public static JsonElement parse(String text) {
        return new JsonParser().parse(text);
    }
}
