package org.makekit.util;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.ArrayList;
import java.util.List;

/** Parses {@code --device cpu|gpu|gpu:0,1}. */
public final class Devices {
    private Devices() {}

    public static List<Device> parse(String spec) {
        String s = spec == null ? "cpu" : spec.trim().toLowerCase(java.util.Locale.ROOT);
        List<Device> out = new ArrayList<>();
        if (s.equals("cpu")) {
            out.add(Device.cpu());
            return out;
        }
        if (!s.startsWith("gpu")) {
            throw new KitException("--device '" + spec + "': expected cpu, gpu or gpu:0,1,...");
        }
        int available = Engine.getInstance().getGpuCount();
        if (available == 0) {
            throw new KitException("--device " + spec + ": no GPU is visible to the PyTorch engine (libtorch "
                    + Engine.getInstance().getVersion() + " loaded; the CPU build is on the classpath by default - "
                    + "see README, section GPU, for PYTORCH_LIBRARY_PATH)");
        }
        if (s.equals("gpu")) {
            out.add(Device.gpu(0));
            return out;
        }
        for (String id : s.substring(s.indexOf(':') + 1).split(",")) {
            int i;
            try {
                i = Integer.parseInt(id.trim());
            } catch (NumberFormatException e) {
                throw new KitException("--device '" + spec + "': '" + id + "' is not a GPU number");
            }
            if (i < 0 || i >= available) {
                throw new KitException("--device '" + spec + "': GPU " + i + " does not exist (" + available + " visible)");
            }
            out.add(Device.gpu(i));
        }
        return out;
    }
}
