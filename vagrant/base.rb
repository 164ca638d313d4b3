# What every lablb VM shares (vagrant/Vagrantfile, vagrant/hosts/Vagrantfile): Debian 12, the
# repository copied in (not shared) so npm ci builds on the VM's own disk, and Node.js 20.
def lablb_base(config, repo:, cpus:, memory:)
  config.vm.box = "debian/bookworm64"

  [:libvirt, :virtualbox].each do |provider|
    config.vm.provider provider do |vm|
      vm.cpus = cpus
      vm.memory = memory
    end
  end

  config.vm.synced_folder repo, "/opt/lablb", type: "rsync",
    rsync__exclude: [".git/", "node_modules/", "dist/", ".tap/"]
  config.vm.synced_folder ".", "/vagrant", disabled: true

  # Debian 12 ships Node.js 18; lablb needs 20.
  config.vm.provision "node", type: "shell", path: File.join(__dir__, "node20.sh")
end
