package org.makekit.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.makekit.util.KitException;
import org.makekit.util.Progress;

/**
 * Downloads with a progress bar, resumes partial downloads (HTTP Range on the {@code .part} file),
 * verifies SHA-256 checksums, and extracts zip and tar.gz archives (refusing entries that would
 * escape the target folder).
 */
public final class Fetcher {
    private final HttpClient client;
    private final boolean showProgress;

    public Fetcher(boolean showProgress) {
        this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30))
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        this.showProgress = showProgress;
    }

    /** Downloads url to dest (resuming dest.part), checks sha256 when given; returns the file's SHA-256. */
    public String download(String url, Path dest, String sha256) {
        Path part = dest.resolveSibling(dest.getFileName() + ".part");
        try {
            Files.createDirectories(dest.toAbsolutePath().getParent());
            if (Files.exists(dest)) {
                String have = sha256(dest);
                if (sha256 == null || have.equalsIgnoreCase(sha256)) return have;
                Files.move(dest, part, StandardCopyOption.REPLACE_EXISTING); // bad copy: fetch again from scratch
                Files.delete(part);
            }
            long have = Files.exists(part) ? Files.size(part) : 0;
            HttpRequest.Builder rb = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(30)).GET();
            if (have > 0) rb.header("Range", "bytes=" + have + "-");
            HttpResponse<InputStream> resp = client.send(rb.build(), HttpResponse.BodyHandlers.ofInputStream());
            int code = resp.statusCode();
            boolean append;
            if (code == 206) {
                append = true;
            } else if (code == 200) {
                append = false;
                have = 0;
            } else if (code == 416 && have > 0) {
                resp.body().close();
                append = true; // nothing left to fetch
            } else {
                resp.body().close();
                throw new KitException("download of " + url + " failed: HTTP " + code);
            }
            long length = resp.headers().firstValueAsLong("Content-Length").orElse(-1);
            long total = length >= 0 ? have + length : -1;
            if (code != 416) {
                try (InputStream in = resp.body();
                     OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                             append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
                     Progress p = showProgress && total > 0 ? new Progress(dest.getFileName().toString(), total, "B") : null) {
                    if (p != null) p.step(have);
                    byte[] buf = new byte[1 << 16];
                    long got = 0;
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        out.write(buf, 0, n);
                        got += n;
                        if (p != null) p.step(n);
                    }
                    if (length >= 0 && got < length) {
                        throw new IOException("connection closed after " + (have + got) + " of " + total + " bytes");
                    }
                } catch (IOException e) {
                    throw new KitException("download of " + url + " was interrupted (" + e.getMessage() + "); "
                            + Files.size(part) + " bytes are kept in " + part + ": run the same command again to resume");
                }
            }
            String got = sha256(part);
            if (sha256 != null && !got.equalsIgnoreCase(sha256)) {
                Path bad = dest.resolveSibling(dest.getFileName() + ".corrupt");
                Files.move(part, bad, StandardCopyOption.REPLACE_EXISTING);
                throw new KitException("checksum mismatch for " + url + ": expected sha256 " + sha256 + ", got " + got
                        + "; the file is kept as " + bad + " (delete it and run again)");
            }
            Files.move(part, dest, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return got;
        } catch (IOException e) {
            throw new KitException("download of " + url + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KitException("download of " + url + " was interrupted");
        }
    }

    public static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            byte[] buf = new byte[1 << 16];
            while (in.read(buf) > 0) {
                // digesting
            }
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Extracts a .zip, .tar.gz or .tgz into dir; returns the number of files written. */
    public static int extract(Path archive, Path dir) {
        String name = archive.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        int files = 0;
        try {
            Files.createDirectories(dir);
            Path root = dir.toAbsolutePath().normalize();
            if (name.endsWith(".zip")) {
                try (ZipInputStream zin = new ZipInputStream(Files.newInputStream(archive))) {
                    ZipEntry e;
                    while ((e = zin.getNextEntry()) != null) {
                        files += write(root, e.getName(), e.isDirectory(), zin, archive);
                    }
                }
            } else if (name.endsWith(".tar.gz") || name.endsWith(".tgz")) {
                try (TarArchiveInputStream tin = new TarArchiveInputStream(new GzipCompressorInputStream(
                        Files.newInputStream(archive)))) {
                    TarArchiveEntry e;
                    while ((e = tin.getNextEntry()) != null) {
                        if (e.isSymbolicLink() || e.isLink()) continue;
                        files += write(root, e.getName(), e.isDirectory(), tin, archive);
                    }
                }
            } else {
                throw new KitException("cannot extract " + archive + ": only .zip, .tar.gz and .tgz are supported");
            }
        } catch (IOException e) {
            throw new KitException("cannot extract " + archive + " (corrupt archive?)", e);
        }
        return files;
    }

    private static int write(Path root, String entry, boolean isDir, InputStream in, Path archive) throws IOException {
        Path target = root.resolve(entry).normalize();
        if (!target.startsWith(root)) throw new KitException("archive " + archive + " has an entry outside its folder: " + entry);
        if (isDir) {
            Files.createDirectories(target);
            return 0;
        }
        Files.createDirectories(target.getParent());
        Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        return 1;
    }
}
