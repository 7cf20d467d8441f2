package org.makekit.util;

/**
 * An error caused by the user's input (a file, a row, a field, a flag), with a message that names
 * exactly what is wrong and where. Scripts print only the message, never a bare stack trace.
 */
public class KitException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public KitException(String message) {
        super(message);
    }

    public KitException(String message, Throwable cause) {
        super(message + (cause != null && cause.getMessage() != null ? " (" + cause.getMessage() + ")" : ""), cause);
    }
}
