package org.makekit.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.stream.ImageInputStream;
import org.makekit.util.KitException;

/** Decodes JPEG, PNG and BMP files to RGB, failing with the file's name on anything unreadable. */
public final class Images {
    private Images() {}

    /** CLIP's normalisation (OpenAI's dataset statistics). */
    public static final float[] MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    public static final float[] STD = {0.26862954f, 0.26130258f, 0.27577711f};

    public static BufferedImage read(Path file) {
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new KitException("image file not found: " + file);
        } catch (IOException e) {
            throw new KitException("cannot read image file " + file, e);
        }
        if (size == 0) throw new KitException("image file " + file + " is empty (0 bytes)");
        try (InputStream in = Files.newInputStream(file); ImageInputStream iis = ImageIO.createImageInputStream(in)) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(iis);
            if (!readers.hasNext()) {
                throw new KitException("image file " + file + " is not a JPEG, PNG or BMP image");
            }
            ImageReader reader = readers.next();
            StringBuilder warnings = new StringBuilder();
            reader.addIIOReadWarningListener(new IIOReadWarningListener() {
                @Override
                public void warningOccurred(ImageReader source, String warning) {
                    warnings.append(warning).append("; ");
                }
            });
            try {
                reader.setInput(iis, true, true);
                BufferedImage img = reader.read(0);
                if (warnings.length() > 0) {
                    // Java's JPEG decoder reports a cut-off file as a warning and fills the rest grey.
                    throw new KitException("image file " + file + " is damaged or truncated ("
                            + warnings.toString().replaceAll("; $", "") + ")");
                }
                return toRgb(img);
            } finally {
                reader.dispose();
            }
        } catch (KitException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new KitException("image file " + file + " cannot be decoded (truncated or corrupt?)", e);
        }
    }

    static BufferedImage toRgb(BufferedImage img) {
        if (img.getType() == BufferedImage.TYPE_INT_RGB) return img;
        BufferedImage rgb = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = rgb.createGraphics();
        g.setColor(java.awt.Color.WHITE); // transparent pixels become white, as PIL's convert("RGB") of RGBA over white
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.drawImage(img, 0, 0, null);
        g.dispose();
        return rgb;
    }
}
