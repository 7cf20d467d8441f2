package org.makekit.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.makekit.util.KitException;

/** Download, resume, checksum and extraction against a server on 127.0.0.1. */
class FetcherTest {
    static byte[] zip(String... nameAndContent) throws Exception {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bos)) {
            for (int i = 0; i < nameAndContent.length; i += 2) {
                z.putNextEntry(new ZipEntry(nameAndContent[i]));
                z.write(nameAndContent[i + 1].getBytes());
                z.closeEntry();
            }
        }
        return bos.toByteArray();
    }

    @Test
    void interruptedDownloadResumesWithRangeAndVerifies(@TempDir Path tmp) throws Exception {
        byte[] noise = new byte[150_000];
        new java.util.Random(1).nextBytes(noise);
        byte[] payload = zip("data/metadata.csv", "image,label\n" + java.util.Base64.getEncoder().encodeToString(noise),
                "data/images/a.txt", "hello");
        List<String> ranges = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtomicBoolean cut = new AtomicBoolean(true);
        // A plain socket server: the first response sends headers and 30,000 body bytes, then drops the connection.
        java.net.ServerSocket server = new java.net.ServerSocket(0, 8, java.net.InetAddress.getByName("127.0.0.1"));
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try (java.net.Socket sock = server.accept()) {
                    java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(sock.getInputStream()));
                    String line;
                    String range = null;
                    while ((line = in.readLine()) != null && !line.isEmpty()) {
                        if (line.toLowerCase().startsWith("range:")) range = line.substring(6).trim();
                    }
                    ranges.add(String.valueOf(range));
                    int from = range == null ? 0 : Integer.parseInt(range.replaceAll("bytes=(\\d+)-", "$1"));
                    OutputStream os = sock.getOutputStream();
                    String status = range == null ? "200 OK" : "206 Partial Content";
                    os.write(("HTTP/1.1 " + status + "\r\nContent-Length: " + (payload.length - from)
                            + "\r\nConnection: close\r\n\r\n").getBytes());
                    int n = cut.getAndSet(false) ? 30_000 : payload.length - from;
                    os.write(payload, from, n);
                    os.flush();
                } catch (java.io.IOException e) {
                    // closed
                }
            }
        });
        t.setDaemon(true);
        t.start();
        try {
            String url = "http://127.0.0.1:" + server.getLocalPort() + "/d.zip";
            String sha = sha256(payload);
            Fetcher f = new Fetcher(false);
            Path dest = tmp.resolve("dl/d.zip");
            KitException first = assertThrows(KitException.class, () -> f.download(url, dest, sha));
            assertTrue(first.getMessage().contains("interrupted") && first.getMessage().contains("run the same command again"),
                    first.getMessage());
            long kept = Files.size(tmp.resolve("dl/d.zip.part"));
            // Some of the 30,000 bytes sent before the cut arrive (a closing socket may drop the rest in flight).
            assertTrue(kept > 0 && kept <= 30_000, "kept " + kept);
            assertEquals(sha, f.download(url, dest, sha));
            assertTrue(ranges.get(1).startsWith("bytes="), "second request resumes: " + ranges);
            assertTrue(!Files.exists(tmp.resolve("dl/d.zip.part")));
            assertEquals(2, Fetcher.extract(dest, tmp.resolve("out")));
            assertEquals("hello", Files.readString(tmp.resolve("out/data/images/a.txt")));
            // Already there and verified: no new request.
            int before = ranges.size();
            f.download(url, dest, sha);
            assertEquals(before, ranges.size());
            // A wrong checksum is refused and the file set aside.
            Files.delete(dest);
            KitException bad = assertThrows(KitException.class, () -> f.download(url, dest, "00" + sha.substring(2)));
            assertTrue(bad.getMessage().contains("checksum mismatch") && bad.getMessage().contains(".corrupt"), bad.getMessage());
            assertTrue(!Files.exists(dest));
        } finally {
            server.close();
        }
    }

    @Test
    void archivesCannotWriteOutsideTheirFolder(@TempDir Path tmp) throws Exception {
        Path evil = tmp.resolve("evil.zip");
        Files.write(evil, zip("../../escaped.txt", "boom"));
        KitException e = assertThrows(KitException.class, () -> Fetcher.extract(evil, tmp.resolve("x")));
        assertTrue(e.getMessage().contains("outside its folder"), e.getMessage());
        assertTrue(!Files.exists(tmp.resolve("escaped.txt")));
    }

    static String sha256(byte[] b) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
    }
}
